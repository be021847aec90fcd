from django.urls import path

import fla.core.urlconverters  # noqa: F401  (registers <id:...>)
from fla.batch import views

app_name = "batch"

urlpatterns = [
    path("", views.file_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<id:file_id>/", views.detail, name="detail"),
    path("<id:file_id>/receipt/", views.receipt, name="receipt"),
    path("<id:file_id>/progress/", views.progress, name="progress"),
    path("<id:file_id>/notification.xml", views.notification_xml, name="notification_xml"),
    path("schemas/<str:name>", views.schema, name="schema"),
]
