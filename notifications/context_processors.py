from notifications.models import Notification


def unread(request):
    """The bell's count: one indexed count per page, only for verified sessions."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"unread_notifications": 0}
    return {"unread_notifications": Notification.objects.filter(user=user, read_at__isnull=True).count()}
