from django.urls import path

from actionplan import views

app_name = "actionplan"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("report/", views.report_view, name="report"),
    path("refresh/", views.refresh_view, name="refresh"),
    path("measures.csv", views.measures_csv_view, name="measures_csv"),
    path("indicators.csv", views.indicators_csv_view, name="indicators_csv"),
    path("measures/<uuid:uuid>/", views.measure_view, name="measure"),
    path("updates/<uuid:uuid>/<slug:decision>/", views.review_view, name="review"),
    path("indicators/<uuid:uuid>/", views.indicator_view, name="indicator"),
]
