"""Domain errors. Each carries a translatable message shown to the user.

A service raises one of these instead of returning a half-done result; the
caller's transaction rolls back, so bad input changes nothing.
"""

from __future__ import annotations

from typing import Any

from services.i18n import N_


class DomainError(Exception):
    message = N_("Sorry, that did not work. Please try again.")

    def __init__(self, **params: Any) -> None:
        super().__init__(f"{type(self).__name__}({params})" if params else type(self).__name__)
        self.params = params


class AlreadyProcessed(Exception):
    """The inbound update was handled before (redelivery); nothing is to be done."""


class PermissionDenied(DomainError):
    message = N_("Sorry, you are not allowed to do that.")


class StaleAction(DomainError):
    message = N_("This button is out of date. Please use the latest message.")


class NotRegistered(DomainError):
    message = N_("Please register as a volunteer first: send /start.")


class AlreadyRegistered(DomainError):
    message = N_("You are already registered. Send /me to see or edit your profile.")


class InvalidName(DomainError):
    message = N_(
        "Please send your real name: 2–20 Chinese characters or Latin letters "
        "(for example 张伟 or Zhang Wei)."
    )


class InvalidPhone(DomainError):
    message = N_(
        "Please send an 11-digit mobile number that starts with 1 (for example "
        "13812345678), or tap “Share my phone number”."
    )


class ForeignContact(DomainError):
    message = N_(
        "Please share your own phone number with the button below, not someone else's contact."
    )


class UnknownChoice(DomainError):
    message = N_("That option is no longer available. Please choose again.")


class NothingChosen(DomainError):
    message = N_("Please choose at least one option, then tap “Done”.")


class InvalidTeamName(DomainError):
    message = N_("A team name has 2–30 characters. Please send another name.")


class TeamNameTaken(DomainError):
    message = N_("This community already has a team called “{name}”. Please choose another name.")


class InvalidInvite(DomainError):
    message = N_("This invite link is no longer valid. Please ask your team leader for a new one.")


class TeamNotFound(DomainError):
    message = N_("That team no longer exists.")


class NotTeamMember(DomainError):
    message = N_("That person is not (or no longer) a member of this team.")


class NotInAnyTeam(DomainError):
    message = N_(
        "You are not in a team yet. Open the invite link your team leader sent you to join."
    )


class CannotRemoveSelf(DomainError):
    message = N_("You cannot remove yourself from the team. Ask an administrator.")


class UnsupportedLanguage(DomainError):
    message = N_("That language is not available.")


class InvalidPostName(DomainError):
    message = N_("A post name has 2–40 characters. Please send another name.")


class InvalidAddress(DomainError):
    message = N_("An address has 2–120 characters. Please send it again.")


class InvalidLocation(DomainError):
    message = N_(
        "Please share the post's location (📎 → Location), or type its coordinates like "
        "31.2304, 121.4737."
    )


class PostNotFound(DomainError):
    message = N_("That post does not exist (any more).")


class InvalidNumber(DomainError):
    message = N_("Please send a whole number from {low} to {high}.")


class PostRequired(DomainError):
    message = N_("This kind of duty needs a post. Please create one with /posts first.")


class ShiftNotFound(DomainError):
    message = N_("That shift no longer exists.")


class ShiftNotOpen(DomainError):
    message = N_("That shift has been cancelled or is already over.")


class StartsInPast(DomainError):
    message = N_("That time has already passed. Please choose a later date or time.")


class ShiftClash(DomainError):
    message = N_("You are already on another shift at that time: {shift}.")


class NotEligible(DomainError):
    message = N_(
        "This shift is for the members of its team. Ask the team leader for the invite link."
    )


class ShiftStarted(DomainError):
    message = N_("That shift has already started, so sign-ups and cancellations are closed.")


class NotSignedUp(DomainError):
    message = N_("You are not signed up for that shift.")


class NoCurrentShift(DomainError):
    message = N_(
        "You have no shift to check in to right now. Check-in opens {minutes} minutes "
        "before the start; see /myshifts."
    )


class TooFar(DomainError):
    message = N_(
        "You are {distance} m from the post “{post}” ({address}); check-in works within "
        "{radius} m. Please go to the post and share your location again."
    )


class AlreadyCheckedIn(DomainError):
    message = N_("You checked in at {time}. To check out, scan or share your location again later.")


class AlreadyCheckedOut(DomainError):
    message = N_("You have already checked out of this shift at {time}. Thank you!")


class ShiftNotStarted(DomainError):
    message = N_("That shift has not started yet.")


class InvalidReason(DomainError):
    message = N_("Please give a short reason (up to 200 characters).")


class InvalidDate(DomainError):
    message = N_("Please choose a date with the buttons, or type one like 2026-12-04 or 12-04.")


class InvalidTime(DomainError):
    message = N_("Please choose a time with the buttons, or type one like 07:30.")


class FutureDate(DomainError):
    message = N_("Service can only be logged for today or earlier.")


class DayFull(DomainError):
    message = N_("That would make more than 24 hours on one day. Please check the duration.")


class AlreadyDecided(DomainError):
    message = N_("This has already been decided.")


class OwnEntry(DomainError):
    message = N_("Nobody approves or corrects their own service minutes.")


class DisputeTooLate(DomainError):
    message = N_(
        "A shift's times can be corrected within {days} days. Please ask your team leader."
    )


class InvalidDuration(DomainError):
    message = N_("Please choose a duration, or type one like 90 or 1.5h (15 minutes to 12 hours).")


class InvalidContactPhone(DomainError):
    message = N_(
        "Please send a phone number: a mobile like 13812345678 or a landline with its "
        "area code like 0571-88880000."
    )


class InvalidBirthday(DomainError):
    message = N_("Please send the date of birth with the year, like 1945-03-12.")


class InvalidNote(DomainError):
    message = N_("Please write a short note of up to {limit} characters.")


class AlreadyHandled(DomainError):
    message = N_("This was already handled by {name}.")


class NoCaller(DomainError):
    message = N_("Nobody is assigned to call yet. Choose a caller first.")


class InvalidFamilyContact(DomainError):
    message = N_("Please send the family member's name and phone, like 王强 13700001111.")


class InvalidLink(DomainError):
    message = N_(
        "This link has been used already or is no longer valid. Please ask whoever sent it "
        "for a new one."
    )


class ReportingBlocked(DomainError):
    message = N_(
        "Sorry, reports from your account are no longer accepted. If you think this is a "
        "mistake, please contact the campaign office."
    )


class TooManyReports(DomainError):
    message = N_(
        "You have sent {limit} reports in the last 24 hours, the most allowed. Thank you! "
        "Please send more later."
    )


class PlaceRequired(DomainError):
    message = N_("Please share the location or type the address first.")


class InvalidReportAddress(DomainError):
    message = N_("Please type the address in 4 to {limit} characters, like 东风路12号门口.")


class DescriptionTooLong(DomainError):
    message = N_("Please keep the description to {limit} characters (yours has {length}).")


class TooManyPhotos(DomainError):
    message = N_("Up to {limit} photos, please.")


class PhotoTooLarge(DomainError):
    message = N_("This file is too large (the limit is {limit} MB). Please send a smaller photo.")


class NotAPhoto(DomainError):
    message = N_("Please send a photo (JPEG, PNG or WebP).")


class ReportNotFound(DomainError):
    message = N_("There is no report {ticket}.")


class ReportStateConflict(DomainError):
    message = N_("Report {ticket} is now “{status}”; that step is not possible any more.")


class AfterPhotoRequired(DomainError):
    message = N_("Please send a photo of the result first.")


class ReopenTooLate(DomainError):
    message = N_(
        "It is more than {days} days since this report was resolved. Please send a new "
        "report if the problem is back."
    )


class NotDuplicateCandidate(DomainError):
    message = N_("Report {ticket} cannot be the original: it is closed or is this report itself.")


class InvalidLinkCode(DomainError):
    message = N_("That code is wrong or has expired. Ask for a new one with /wechat.")


class AlreadyRegisteredHere(DomainError):
    message = N_(
        "This account has a volunteer profile or a role of its own. Ask for the code on this "
        "account and enter it on the other one instead."
    )


class NotRegisteredOnWeChat(DomainError):
    message = N_(
        "This is for registered volunteers: reply 注册 to register. If you registered on "
        "Telegram, reply 绑定 to link the two accounts instead."
    )
