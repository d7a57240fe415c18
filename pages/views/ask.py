from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ai.services.answers import ask

MAX_QUESTION = 1000


@login_required
@require_GET
def ask_page(request: HttpRequest) -> HttpResponse:
    question = request.GET.get("q", "")
    error = ""
    answer = None
    if len(question) > MAX_QUESTION:
        error = f"Please keep the question under {MAX_QUESTION} characters."
    elif question.strip():
        answer = ask(user=request.user, question=question)
    context = {"question": question, "answer": answer, "error": error}
    return render(request, "pages/ask.html", context, status=400 if error else 200)
