"""Sign in and out, password reset, session expiry and CSRF."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("name", ["browse", "search", "upload", "ask"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_welcomes_anonymous_visitors_with_a_sign_in_link(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert reverse("login").encode() in response.content


def test_sign_in_then_out(client: Client, reader) -> None:
    page = client.get(reverse("login"))
    assert b'<label for="id_username">' in page.content

    response = client.post(reverse("login"), {"username": "reader", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert SESSION_KEY in client.session
    assert b"Sign out" in client.get("/").content

    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


def test_wrong_password_is_refused_with_a_message(client: Client, reader) -> None:
    response = client.post(reverse("login"), {"username": "reader", "password": "wrong"})

    assert response.status_code == 200
    assert b"did not match" in response.content
    assert SESSION_KEY not in client.session


def test_sign_out_needs_a_post(client: Client, reader) -> None:
    client.force_login(reader)

    assert client.get(reverse("logout")).status_code == 405
    assert SESSION_KEY in client.session


def test_forms_refuse_posts_without_the_csrf_token(reader) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "reader", "password": PASSWORD})

    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_password_reset_by_email(client: Client, reader) -> None:
    response = client.post(reverse("password_reset"), {"email": reader.email})
    assert response.status_code == 302

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"Choose a new password" in form.content
    new = "a brand new passphrase 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)
    assert b"Password changed" in done.content

    assert client.login(username="reader", password=new)
    assert not client.login(username="reader", password=PASSWORD)


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client: Client, reader) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_an_expired_session_signs_the_user_out(client: Client, reader) -> None:
    client.force_login(reader)
    session = client.session
    session.set_expiry(-1)
    session.save()

    response = client.get(reverse("browse"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_expired_form_gets_a_friendly_page(reader) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert b"Please try again" in response.content and b"Nothing was changed" in response.content
    assert SESSION_KEY in client.session
