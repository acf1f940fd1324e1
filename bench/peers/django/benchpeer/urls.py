"""django-scim2's own URL configuration, mounted where the benchmark expects SCIM."""
from django.urls import include, path

urlpatterns = [
    path("scim/v2/", include("django_scim.urls", namespace="scim")),
]
