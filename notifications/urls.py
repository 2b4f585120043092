from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list_view, name="list"),
    path("bell/", views.bell_view, name="bell"),
    path("read/", views.mark_read_view, name="mark_read"),
    path("preferences/", views.preferences_view, name="preferences"),
]
