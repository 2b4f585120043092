# English for an international audience: unambiguous day-month order and ISO short dates
# (a liaison officer in Manila and one in The Hague must read 03/04 the same way).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1
