from django.shortcuts import render

from ..models import VOCABULARIES


def codebook(request):
    vocabularies = [
        {
            "key": model.vocabulary_key,
            "name": model._meta.verbose_name_plural.capitalize(),
            "description": model.description,
            "terms": model.objects.ordered(),
        }
        for model in VOCABULARIES
    ]
    return render(request, "casestudies/codebook.html", {"vocabularies": vocabularies})
