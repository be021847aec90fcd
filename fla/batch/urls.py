from django.urls import path

from fla.batch import views

app_name = "batch"

urlpatterns = [
    path("", views.file_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<int:file_id>/", views.detail, name="detail"),
    path("<int:file_id>/receipt/", views.receipt, name="receipt"),
    path("<int:file_id>/progress/", views.progress, name="progress"),
    path("<int:file_id>/notification.xml", views.notification_xml, name="notification_xml"),
    path("schemas/<str:name>", views.schema, name="schema"),
]
