from django.urls import path

from api import pages

app_name = "api_keys"

urlpatterns = [
    path("", pages.api_keys, name="list"),
    path("<int:pk>/rotate/", pages.api_key_rotate_page, name="rotate"),
    path("<int:pk>/revoke/", pages.api_key_revoke_page, name="revoke"),
]
