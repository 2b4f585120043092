from django.conf import settings


def portal(request):
    return {"PORTAL_ENV": settings.PORTAL_ENV, "IS_PRODUCTION": settings.IS_PRODUCTION}
