from django.urls import path

from fla.web import views

app_name = "web"

urlpatterns = [
    path("", views.welcome, name="welcome"),
    path("app/", views.home, name="home"),
    path("login/", views.login, name="login"),
]
