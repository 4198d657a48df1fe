"""Refusals worded for WeChat, where choices are numbers and words, not buttons.

The services' messages speak of buttons (Telegram); on WeChat the same refusal is
said with the words a WeChat user sees.
"""

from __future__ import annotations

from services.errors import (
    DomainError,
    ForeignContact,
    InvalidDate,
    InvalidLocation,
    InvalidPhone,
    InvalidTime,
    NothingChosen,
    StaleAction,
    UnknownChoice,
)
from services.i18n import N_, Translator, render

WECHAT_WORDING: dict[type[DomainError], str] = {
    StaleAction: N_("That choice is out of date. Please reply to the latest list."),
    InvalidDate: N_("Please type a date like 2026-12-04 or 12-04."),
    InvalidTime: N_("Please type a time like 07:30."),
    InvalidPhone: N_(
        "Please send an 11-digit mobile number that starts with 1 (for example 13812345678)."
    ),
    ForeignContact: N_("Please type your own mobile number."),
    InvalidLocation: N_(
        "Please send the post's location (+ → Location), or type its coordinates like "
        "30.27250, 120.16750."
    ),
    NothingChosen: N_("Please reply with at least one of the numbers."),
    UnknownChoice: N_("Please reply with one of the numbers."),
}


def refusal_text(tr: Translator, refused: DomainError) -> str:
    message = WECHAT_WORDING.get(type(refused), refused.message)
    return render(tr, message, refused.params)
