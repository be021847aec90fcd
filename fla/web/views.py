from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def welcome(request: HttpRequest) -> HttpResponse:
    return render(request, "web/welcome.html")


def login(request: HttpRequest) -> HttpResponse:
    return redirect("web:welcome")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:welcome")
