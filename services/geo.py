"""Distances on the Earth: geopy's geodesic (WGS-84 ellipsoid, Karney's method).

Telegram location shares and post locations are both GPS (WGS-84)
coordinates, so no datum conversion is needed between them.
"""

from geopy.distance import geodesic


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return geodesic((lat1, lon1), (lat2, lon2)).meters


def valid_coordinates(latitude: float, longitude: float) -> bool:
    return -90 <= latitude <= 90 and -180 <= longitude <= 180
