from django.conf import settings
from django.urls import path

from fla.web import oidc
from fla.web.views import app, declare, public

app_name = "web"

urlpatterns = [
    path("", public.welcome, name="welcome"),
    path("login/", public.login, name="login"),
    path("login/failed/", public.login_failed, name="login_failed"),
    path("logout/", public.logout, name="logout"),
    path("oidc/authenticate/", oidc.AuthenticationRequestView.as_view(), name="oidc_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_callback"),
    path("app/", app.home, name="home"),
    path("app/no-access/", public.no_access, name="no_access"),
    path("app/employer/", public.choose_employer, name="choose_employer"),
    path("app/dashboard/", app.dashboard, name="dashboard"),
    path("app/search/", app.search, name="search"),
    path("app/workers/", app.workers, name="workers"),
    path("app/workers/<int:worker_id>/", app.worker_detail, name="worker"),
    path("app/workers/<int:worker_id>/rights/", declare.rights_edit, name="rights_edit"),
    path(
        "app/workers/<int:worker_id>/trainings/new/",
        declare.training_new,
        name="worker_training_new",
    ),
    path("app/trainings/", app.trainings, name="trainings"),
    path("app/trainings/new/", declare.training_new, name="training_new"),
    path("app/trainings/bulk/", declare.training_bulk, name="training_bulk"),
    path("app/trainings/<int:training_id>/", app.training_detail, name="training"),
    path("app/trainings/<int:training_id>/edit/", declare.training_edit, name="training_edit"),
    path(
        "app/trainings/<int:training_id>/cancel/", declare.training_cancel, name="training_cancel"
    ),
]

# The demo login exists only in the embedded profile: in production the URL is absent,
# and the view answers 404 as well should the setting be switched off at run time.
if settings.DEMO_LOGIN:
    urlpatterns.append(path("login/demo/", public.demo_login, name="demo_login"))
