"""The editors' admin: articles, sources and entities, every change kept in history."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from archive.articles import article_changed, delete_articles
from archive.capture import capture_date_problem, capture_moment, captured_on
from archive.curation import (
    CurationError,
    confirm_possible_tag,
    occurrence,
    possible_tags,
    reject_entities_in_articles,
    set_entity_rejected,
    set_rejected,
    tag_words,
    tags_by_entity,
)
from archive.entities.merge import merge_entities
from archive.entities.suggestions import create_entity, suggest_entities
from archive.models import (
    Alias,
    Article,
    Capture,
    Entity,
    Mention,
    OriginalCheck,
    Quote,
    RelatedLink,
    Source,
    normalise_body,
)
from archive.paragraphs import FIRST, numbers_held, paragraph_text
from archive.quotes.editing import QuoteEditError, merge_quotes, place_words, split_quote
from archive.supplied_text import supplied_line, supplied_text
from archive.templatetags.highlighting import marked
from archive.webcapture.originals import original_status
from archive.webcapture.records import CaptureError, capture_address

admin.site.site_header = "Archive editors"
admin.site.site_title = "Archive editors"
admin.site.index_title = "Articles, sources and entities"

# A URL typed without a scheme is taken as https:// (Django 6's default, chosen now).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class SuppliedTextField(forms.CharField):
    """A textarea's text as the archive keeps it: LF line ends, no control characters."""

    def to_python(self, value):
        value = super().to_python(value)
        return supplied_text(value) if value else value


class SuppliedLineField(forms.CharField):
    """A one-line value (a title, a name) with its white space collapsed, no controls."""

    def to_python(self, value):
        value = super().to_python(value)
        return supplied_line(value) if value else value


class ArticleBodyField(SuppliedTextField):
    """The body exactly as it will be stored, so that paragraph numbers checked against it
    (quotes, mentions) are the ones saved."""

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_body(value) if value else value


class SuppliedTextAdmin:
    """Every plain text field of an admin form is cleaned at the edge, before any check.

    Slugs, URLs and choices keep their own fields, which refuse control characters.
    """

    supplied_text_fields = {
        models.CharField: SuppliedLineField,
        models.TextField: SuppliedTextField,
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        form_class = self.supplied_text_fields.get(type(db_field))
        if form_class is not None and not db_field.choices:
            kwargs.setdefault("form_class", form_class)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def article_list_url(model_name: str, article: Article) -> str:
    """The admin list of this article's tags or quotes."""
    query = urlencode({"article__id__exact": article.pk})
    return f"{reverse(f'admin:archive_{model_name}_changelist')}?{query}"


def article_add_url(model_name: str, article: Article) -> str:
    """The add form for a tag or quote of this article; after saving, back to its list."""
    query = urlencode(
        {"article": article.pk, "_changelist_filters": f"article__id__exact={article.pk}"}
    )
    return f"{reverse(f'admin:archive_{model_name}_add')}?{query}"


def save_each(request, objects, **changes) -> int:
    """Change and save each object in turn, the history naming this editor."""
    changed = 0
    for obj in objects:
        for name, value in changes.items():
            setattr(obj, name, value)
        obj._history_user = request.user
        obj.save()
        changed += 1
    return changed


class PublicationYearFilter(admin.SimpleListFilter):
    """Filter by year of publication, with the undated articles as a choice of their own."""

    title = "year"
    parameter_name = "year"
    UNKNOWN = "unknown"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("published_on", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years] + [(self.UNKNOWN, "Date unknown")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.UNKNOWN:
            return queryset.filter(published_on__isnull=True)
        if value and value.isdigit():
            return queryset.filter(published_on__year=int(value))
        return queryset


class RelatedLinkInline(SuppliedTextAdmin, admin.TabularInline):
    model = RelatedLink
    fk_name = "from_article"
    autocomplete_fields = ["to_article"]
    extra = 0
    verbose_name = "related article"
    verbose_name_plural = "related articles (curated by editors)"


class QuoteForm(forms.ModelForm):
    """A quote as editors correct it: the words are found in the article, offsets worked out.

    Changing the speaker marks it corrected (re-extraction keeps it);
    changing the words makes the quote the editor's.
    """

    paragraph = forms.IntegerField(
        min_value=FIRST,
        required=False,
        help_text="As readers see it (¶1 is the first); leave empty to find the words anywhere.",
    )

    class Meta:
        model = Quote
        fields = ["article", "text", "paragraph", "speaker_name", "speaker", "rejected"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def clean(self):
        cleaned = super().clean()
        article = cleaned.get("article") or getattr(self.instance, "article", None)
        if article is None or not cleaned.get("text"):
            return cleaned
        try:
            text, paragraph, start, end = place_words(
                article, cleaned["text"], cleaned.get("paragraph"), near=self.instance.start or 0
            )
        except QuoteEditError as error:
            raise forms.ValidationError({"text": str(error)}) from error
        cleaned["text"], cleaned["paragraph"] = text, paragraph
        self.instance.paragraph, self.instance.start, self.instance.end = paragraph, start, end
        if cleaned.get("speaker") and not cleaned.get("speaker_name"):
            cleaned["speaker_name"] = cleaned["speaker"].name
        return cleaned

    def save(self, commit=True):
        quote = super().save(commit=False)
        changed = set(self.changed_data)
        if quote.pk is None or changed & {"text", "paragraph"}:
            quote.origin = Quote.Origin.EDITOR
        if changed & {"speaker_name", "speaker"}:
            quote.speaker_corrected = True
        if commit:
            quote.save()
        return quote


class TagWordsForm(forms.Form):
    """An entity tagged where the article writes the words an editor typed or pasted."""

    words = SuppliedLineField(
        max_length=300,
        label="Words as the article writes them",
        help_text="Type, paste, or select them in a sentence below; capitals count.",
    )
    entity = forms.ModelChoiceField(
        queryset=Entity.objects.all(),
        widget=AutocompleteSelect(Mention._meta.get_field("entity"), admin.site),
        help_text="Start typing its name or one of its spellings.",
    )


class CaptureAddressForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=2000,
        help_text="The page's address (http or https), as in the browser's address bar.",
    )
    draft = forms.BooleanField(
        required=False, label="Keep as a draft", help_text="Readers see it once published."
    )
    source = forms.ModelChoiceField(
        Source.objects.all(),
        required=False,
        help_text="Leave empty to file it under the publisher the page names, if it names one.",
    )


class ArticleForm(forms.ModelForm):
    """Refuses to overwrite an article that someone else saved after this form was opened.

    The editor's text stays in the form, so nothing typed is lost. The capture
    is dated by its day (archive.capture); an unchanged day keeps the time an
    import recorded.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    captured_on = forms.DateField(
        required=False,
        label="Captured on",
        widget=AdminDateWidget,
        help_text="The day the archive's copy was taken (YYYY-MM-DD), shown on the article's "
        "page and in its citation. Not in the future, not before the publication date.",
    )
    # No URL is NULL, not "", so that the unique constraint on URLs ignores it.
    original_url = forms.URLField(
        max_length=2000, required=False, empty_value=None, assume_scheme="https"
    )

    class Meta:
        model = Article
        fields = [
            "title",
            "slug",
            "status",
            "source",
            "published_on",
            "original_url",
            "authors",
            "language",
            "body",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at.isoformat()
        self.fields["captured_on"].initial = captured_on(self.instance.captured_at)

    def clean(self):
        cleaned = super().clean()
        problem = capture_date_problem(cleaned.get("captured_on"), cleaned.get("published_on"))
        if problem:
            self.add_error("captured_on", problem)
        elif "captured_on" in self.changed_data:
            self.instance.captured_at = capture_moment(cleaned.get("captured_on"))
        if self.instance.pk:
            current = (
                Article.objects.filter(pk=self.instance.pk)
                .values_list("updated_at", flat=True)
                .first()
            )
            if current and cleaned.get("version") != current.isoformat():
                raise forms.ValidationError(
                    "Someone else saved this article after you opened it. Your changes are "
                    "still in the form below: copy them, open the article again, and re-apply "
                    "them. The other version is in the article's history."
                )
        return cleaned


@admin.register(Article)
class ArticleAdmin(SuppliedTextAdmin, SimpleHistoryAdmin):
    formfield_overrides = URL_FIELDS
    form = ArticleForm
    list_display = ["title", "source_or_unknown", "date_or_unknown", "status", "title_origin"]
    list_filter = ["status", "source", PublicationYearFilter, "title_origin"]
    list_select_related = ["source"]
    search_fields = ["title", "body", "original_url", "authors"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["source"]
    # Tags and quotations are curated in their own lists, linked from the form: as
    # inline rows, an article with a few hundred names was more form fields than a
    # request may carry (a save answered 400) and took minutes to draw.
    inlines = [RelatedLinkInline]
    actions = ["publish", "unpublish"]
    readonly_fields = [
        "public_page",
        "original_now",
        "captures_from_the_web",
        "tags_and_quotations",
        "title_origin",
        "date_origin",
        "original_text_as_received",
        "body_sha256",
        "original_sha256",
        "external_id",
        "captured_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "title_origin", "slug", "status", "public_page", "version"]}),
        (
            "Publication",
            {
                "fields": [
                    "source",
                    "published_on",
                    "date_origin",
                    "original_url",
                    "original_now",
                    "authors",
                    "language",
                    "captured_on",
                ]
            },
        ),
        ("Text", {"fields": ["body"]}),
        ("Entities and quotations", {"fields": ["tags_and_quotations"]}),
        (
            "Provenance",
            {
                "classes": ["collapse"],
                "fields": [
                    "captures_from_the_web",
                    "original_text_as_received",
                    "body_sha256",
                    "original_sha256",
                    "external_id",
                    "captured_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs.setdefault("form_class", ArticleBodyField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="source", ordering="source__name")
    def source_or_unknown(self, article):
        return article.source or "source unknown"

    @admin.display(description="date", ordering="published_on")
    def date_or_unknown(self, article):
        return article.published_on or "date unknown"

    @admin.display(description="public page")
    def public_page(self, article):
        if article.pk is None:
            return "Its address comes from the slug; a draft can be previewed once saved."
        url = article.get_absolute_url()
        if article.is_published:
            return format_html('<a href="{}">{}</a>', url, url)
        return format_html(
            "Not published: for readers {} is “not found”. "
            '<a href="{}" class="preview-link">Preview this draft at its future address</a>',
            url,
            url,
        )

    @admin.display(description="tags and quotations")
    def tags_and_quotations(self, article):
        if article.pk is None:
            return "Tags and quotations are found when the article is saved."
        tags = article.mentions.aggregate(
            tags=Count("pk", filter=Q(rejected=False)),
            entities=Count("entity", filter=Q(rejected=False), distinct=True),
            rejected=Count("pk", filter=Q(rejected=True)),
        )
        quotes = article.quotes.aggregate(
            quotes=Count("pk", filter=Q(rejected=False)),
            rejected=Count("pk", filter=Q(rejected=True)),
        )
        return format_html(
            '<p>{} tag{} of {} entit{}, {} rejected: <a href="{}">curate tags by entity</a>'
            ' · <a href="{}">review or reject tags</a> · <a href="{}">add a tag by hand</a></p>'
            '<p>{} quotation{}, {} rejected: <a href="{}">review quotations and speakers</a>'
            ' · <a href="{}">add a quotation</a></p>',
            tags["tags"],
            pluralize(tags["tags"]),
            tags["entities"],
            pluralize(tags["entities"], "y,ies"),
            tags["rejected"],
            reverse("admin:archive_article_tags", args=[article.pk]),
            article_list_url("mention", article),
            article_add_url("mention", article),
            quotes["quotes"],
            pluralize(quotes["quotes"]),
            quotes["rejected"],
            article_list_url("quote", article),
            article_add_url("quote", article),
        )

    @admin.display(description="original now")
    def original_now(self, article):
        status = original_status(article) if article.pk else None
        if status is None:
            return "No original address."
        said = " ".join(status.sentences) or (
            "Not checked yet (manage.py check_originals): whether it is still online is unknown."
        )
        if not status.checked:
            return said
        checks = (
            reverse("admin:archive_originalcheck_changelist")
            + "?"
            + urlencode({"article__id__exact": article.pk, "checks": "all"})
        )
        return format_html('{} <a href="{}">Every check of the original</a>', said, checks)

    @admin.display(description="captures from the web")
    def captures_from_the_web(self, article):
        if article.pk is None:
            return "None: this article was not captured from the web."
        captures = list(article.captures.all())
        if not captures:
            return "None: this article was not captured from the web."
        rows = format_html_join(
            "",
            '<li>{} from <a href="{}" rel="noreferrer">{}</a> (HTTP {}): '
            '<a href="{}">download the WARC</a> ({} bytes, SHA-256 <code>{}</code>)'
            ' · <a href="{}">the page as captured</a></li>',
            (
                (
                    capture.fetched_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    capture.final_url,
                    capture.final_url,
                    capture.http_status,
                    reverse("admin:archive_capture_warc", args=[capture.pk]),
                    capture.warc_size,
                    capture.warc_sha256,
                    capture.get_absolute_url(),
                )
                for capture in captures
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    def get_urls(self):
        tags = self.admin_site.admin_view(self.tags_view)
        from_address = self.admin_site.admin_view(self.add_from_address_view)
        return [
            path("add-from-address/", from_address, name="archive_article_add_from_address"),
            path("<path:object_id>/tags/", tags, name="archive_article_tags"),
            *super().get_urls(),
        ]

    def add_from_address_view(self, request):
        """Capture a page by its address (archive.webcapture) and open the article it made."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CaptureAddressForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = capture_address(
                    form.cleaned_data["url"],
                    draft=form.cleaned_data["draft"],
                    source=form.cleaned_data["source"],
                )
            except CaptureError as error:
                form.add_error("url", f"The page could not be captured: {error}.")
            else:
                if result.created:
                    message = "Captured the page as a new article; check its title and date."
                else:
                    change = "changed" if result.text_changed else "did not change"
                    message = (
                        "This address was captured before: a new capture was added and the "
                        f"article left as it was. Its text {change} since the capture before."
                    )
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:archive_article_change", result.article.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Add an article from its address",
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/archive/article/add_from_address.html", context)

    def tags_view(self, request, object_id):
        """The article's tags by entity, each in its sentences: reject or restore an entity's
        tags in one action (or single ones), tag an entity by its words in the text."""
        article = self.get_object(request, unquote(object_id))
        mentions = self.admin_site._registry[Mention]
        if article is None:
            raise Http404("No such article.")
        if not mentions.has_view_permission(request):
            raise PermissionDenied
        form = TagWordsForm(request.POST if "tag_words" in request.POST else None)
        if request.method == "POST":
            if not mentions.has_change_permission(request) or (
                form.is_bound and not mentions.has_add_permission(request)
            ):
                raise PermissionDenied
            if self._curate_tags(request, article, form):
                return redirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request),
            "title": f"Tags of “{article.title}” by entity",
            "opts": self.model._meta,
            "article": article,
            "groups": tags_by_entity(article),
            "possible": possible_tags(article),
            "form": form,
            "media": self.media + form.media,
            "tag_list_url": article_list_url("mention", article),
            "can_change": mentions.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/archive/article/tags.html", context)

    def _curate_tags(self, request, article, form) -> bool:
        """Carry out the button pressed on the page of tags; False to show the form again."""
        post, user = request.POST, request.user
        if "tag_words" in post:
            if not form.is_valid():
                return False
            try:
                done = tag_words(
                    article, form.cleaned_data["entity"], form.cleaned_data["words"], user
                )
            except CurationError as error:
                form.add_error("words", str(error))
                return False
            message = (
                f"{done.entity.name} tagged at {done.places} place(s) where the article writes "
                f"“{done.words}”: {done.added} added, {done.confirmed} confirmed."
            )
        elif post.get("reject_entity", "").isdigit() or post.get("restore_entity", "").isdigit():
            rejected = "reject_entity" in post
            entity_id = int(post["reject_entity" if rejected else "restore_entity"])
            changed = set_entity_rejected(article.pk, entity_id, rejected, user)
            name = Entity.objects.filter(pk=entity_id).values_list("name", flat=True).first()
            state = "rejected: re-tagging keeps them rejected" if rejected else "restored"
            message = f"{changed} tag(s) of {name} in this article {state}."
        elif "confirm_possible" in post:
            try:
                mention = confirm_possible_tag(article, post["confirm_possible"], user)
            except CurationError as error:
                self.message_user(request, str(error), messages.ERROR)
                return True
            message = (
                f"{mention.entity.name} tagged where the article writes “{mention.surface}” "
                f"(¶{mention.paragraph}); the article was tagged again."
            )
        elif "reject_selected" in post or "restore_selected" in post:
            rejected = "reject_selected" in post
            chosen = [pk for pk in post.getlist("mention") if pk.isdigit()]
            changed = set_rejected(
                Mention.objects.filter(article=article, pk__in=chosen), rejected, user
            )
            message = f"{changed} tag(s) {'rejected' if rejected else 'restored'}."
        else:
            return True
        self.message_user(request, message, messages.SUCCESS)
        return True

    @admin.display(description="original text as received")
    def original_text_as_received(self, article):
        return format_html('<pre class="original-text">{}</pre>', article.original_text)

    def save_model(self, request, article, form, change):
        """Record that a title or date now comes from an editor, not from the import;
        then re-tag, re-extract and re-index the article (archive.articles)."""
        if not change or "title" in form.changed_data:
            article.title_origin = Article.TitleOrigin.EDITOR
        if not change or "published_on" in form.changed_data:
            article.date_origin = Article.DateOrigin.EDITOR if article.published_on else ""
        if not change and not article.original_text:
            # What the editor typed is what the archive received: spacing as typed,
            # the browser's CRLF line ends and control characters dropped.
            article.original_text = supplied_text(form["body"].data or "")
        # The history's revert comes here too, outside the change form's transaction.
        with transaction.atomic():
            super().save_model(request, article, form, change)
            article_changed([article.pk])

    def delete_model(self, request, article):
        delete_articles(Article.objects.filter(pk=article.pk))

    def delete_queryset(self, request, queryset):
        delete_articles(queryset)

    @admin.action(description="Publish the selected articles", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Article.Status.PUBLISHED)

    @admin.action(
        description="Unpublish the selected articles (keeps them)", permissions=["change"]
    )
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Article.Status.DRAFT)

    def _set_status(self, request, queryset, status):
        with transaction.atomic():
            articles = list(queryset.exclude(status=status))
            changed = save_each(request, articles, status=status)
            article_changed([article.pk for article in articles], text_changed=False)
        label = Article.Status(status).label.lower()
        self.message_user(request, f"{changed} article(s) now {label}.", messages.SUCCESS)


@admin.register(Source)
class SourceAdmin(SuppliedTextAdmin, SimpleHistoryAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "homepage", "article_count"]
    search_fields = ["name", "homepage"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, source):
        return source.article_count


class AliasInline(SuppliedTextAdmin, admin.TabularInline):
    model = Alias
    extra = 1
    verbose_name_plural = "aliases (other spellings)"


class SuggestionForm(forms.Form):
    name = SuppliedLineField(max_length=300)
    kind = forms.ChoiceField(choices=Entity.Kind.choices)


@admin.register(Entity)
class EntityAdmin(SuppliedTextAdmin, SimpleHistoryAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "kind", "alias_list", "article_count"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AliasInline]
    actions = ["merge"]
    readonly_fields = ["tags_across_the_archive"]
    change_list_template = "admin/archive/entity/change_list.html"
    # The article counts group the query, and a grouped query drops Meta.ordering.
    ordering = ["name", "pk"]
    SUGGESTION_SAMPLE = 2000  # newest articles scanned for names: keeps the page fast

    def get_urls(self):
        suggestions = self.admin_site.admin_view(self.suggestions_view)
        return [
            path("suggestions/", suggestions, name="archive_entity_suggestions"),
            *super().get_urls(),
        ]

    def suggestions_view(self, request):
        """Names the articles use that no entity spells yet; one click creates the entity."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = SuggestionForm(request.POST)
            if form.is_valid():
                entity = create_entity(form.cleaned_data["name"], form.cleaned_data["kind"])
                entity_created = format_html(
                    "Created {} ({}). Articles are tagged with it when next saved, "
                    "or at once with <code>manage.py retag_articles</code>.",
                    entity.name,
                    entity.get_kind_display(),
                )
                self.message_user(request, entity_created, messages.SUCCESS)
                return redirect("admin:archive_entity_change", entity.pk)
            self.message_user(request, "Choose a name and a kind.", messages.ERROR)
        newest = Article.objects.published().order_by("-id")[: self.SUGGESTION_SAMPLE]
        context = {
            **self.admin_site.each_context(request),
            "title": "Suggested new entities",
            "opts": self.model._meta,
            "suggestions": suggest_entities(Article.objects.filter(pk__in=newest), limit=50),
            "kinds": Entity.Kind.choices,
            "sample": self.SUGGESTION_SAMPLE,
        }
        return TemplateResponse(request, "admin/archive/entity/suggestions.html", context)

    def has_merge_permission(self, request):
        """Merging deletes entities: it needs `archive.merge_entity`, which Editors have."""
        return request.user.has_perm(f"{self.opts.app_label}.merge_{self.opts.model_name}")

    @admin.action(description="Merge the selected entities into one", permissions=["merge"])
    def merge(self, request, queryset):
        entities = list(queryset.order_by("name"))
        if len(entities) < 2:
            self.message_user(request, "Select at least two entities to merge.", messages.ERROR)
            return None
        keep_id = request.POST.get("keep")
        if keep_id and keep_id.isdigit() and int(keep_id) in {e.pk for e in entities}:
            keep = next(e for e in entities if e.pk == int(keep_id))
            for other in entities:
                if other.pk != keep.pk:
                    merge_entities(keep, other)
            self.message_user(
                request,
                f"Merged {len(entities) - 1} entit{'y' if len(entities) == 2 else 'ies'} into "
                f"{keep.name}; their spellings are now its aliases and their pages redirect "
                "to it.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge entities",
            "opts": self.model._meta,
            "entities": entities,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/entity/merge.html", context)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("aliases")
            .annotate(
                article_count=Count(
                    "mentions__article", filter=Q(mentions__rejected=False), distinct=True
                )
            )
        )

    @admin.display(description="tags")
    def tags_across_the_archive(self, entity):
        if entity.pk is None:
            return "Articles are tagged with it when next saved, or by retag_articles."
        counts = entity.mentions.aggregate(
            tagged=Count("pk", filter=Q(rejected=False)),
            rejected=Count("pk", filter=Q(rejected=True)),
        )
        query = urlencode({"entity__id__exact": entity.pk})
        return format_html(
            '{} tag{} across the archive, {} rejected: <a href="{}">review them in their '
            "sentences, reject wrong ones</a>",
            counts["tagged"],
            pluralize(counts["tagged"]),
            counts["rejected"],
            f"{reverse('admin:archive_mention_changelist')}?{query}",
        )

    @admin.display(description="aliases")
    def alias_list(self, entity):
        return ", ".join(alias.name for alias in entity.aliases.all())

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, entity):
        return entity.article_count


class SplitQuoteForm(forms.Form):
    second_starts_with = SuppliedLineField(
        max_length=500, label="The second quote starts with the words"
    )


class ArticlePartsAdmin(SuppliedTextAdmin, SimpleHistoryAdmin):
    """The tags or quotes of articles, listed (by article from the article's form) and edited.

    The list names the article it is filtered to, with a link back; rows never
    load the articles' texts. A change re-indexes the article after the commit.
    """

    change_list_template = "admin/archive/parts_change_list.html"
    list_title = ""  # "Tags", "Quotations": what the list of one article's parts is called
    part_name = ""  # "tag", "quote": in messages
    rejected_message = "rejected"

    class Media:
        css = {"all": ["archive/admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            # The admin's list_select_related is skipped once a queryset has any.
            .select_related("article", *self.list_select_related)
            .defer("article__body", "article__original_text")
        )

    def changelist_view(self, request, extra_context=None):
        article_id = request.GET.get("article__id__exact", "")
        article = (
            Article.objects.filter(pk=article_id).only("pk", "title").first()
            if article_id.isdigit()
            else None
        )
        if article is not None:
            extra_context = {
                **(extra_context or {}),
                "title": f"{self.list_title} of “{article.title}”",
                "subtitle": format_html(
                    '<a href="{}">Back to the article</a> · <a href="{}">Add one by hand</a>',
                    reverse("admin:archive_article_change", args=[article.pk]),
                    article_add_url(self.model._meta.model_name, article),
                ),
            }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._articles_changed([obj.article_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._articles_changed([obj.article_id])

    def _articles_changed(self, article_ids):
        # The articles' index entries hold their tags (its entities) and their quotes.
        article_changed(article_ids, text_changed=False)

    def _set_rejected(self, request, queryset, rejected):
        changed = set_rejected(queryset, rejected, request.user)
        state = self.rejected_message if rejected else "restored"
        self.message_user(request, f"{changed} {self.part_name}(s) {state}.", messages.SUCCESS)


class MentionForm(forms.ModelForm):
    """A tag as an editor adds or corrects it: where it is, if given, must be in the text."""

    class Meta:
        model = Mention
        fields = ["article", "entity", "surface", "paragraph", "start", "end", "rejected"]

    def clean(self):
        cleaned = super().clean()
        article = cleaned.get("article") or getattr(self.instance, "article", None)
        paragraph, start, end = (cleaned.get(k) for k in ("paragraph", "start", "end"))
        if article is None:
            return cleaned
        if paragraph is None:
            if start is not None or end is not None:
                raise forms.ValidationError(
                    {"paragraph": "Give the paragraph that the start and end are counted in."}
                )
            return cleaned  # a tag of the whole article
        paragraphs = article.paragraphs
        text = paragraph_text(paragraphs, paragraph)
        if text is None:
            raise forms.ValidationError({"paragraph": numbers_held(paragraphs)})
        if start is None and end is None:
            return cleaned
        if start is None or end is None or not 0 <= start < end <= len(text):
            raise forms.ValidationError(
                {"end": f"Give a start and an end between 0 and {len(text)}, start first."}
            )
        words = text[start:end]
        if not cleaned.get("surface"):
            cleaned["surface"] = words
        elif cleaned["surface"] != words:
            raise forms.ValidationError(
                {"surface": f"The text at these positions is “{words}”, not these words."}
            )
        return cleaned


class MentionChangeList(ChangeList):
    """The list of tags, each with its sentence: the page's articles are read in one query,
    only their paragraphs that the page's tags stand in kept."""

    def get_results(self, request):
        super().get_results(request)
        mentions = list(self.result_list)  # evaluated once: the template reuses these rows
        wanted = {m.article_id for m in mentions if m.paragraph is not None}
        texts = dict(Article.objects.filter(pk__in=wanted).values_list("pk", "body"))
        paragraphs = {pk: Article(body=body).paragraphs for pk, body in texts.items()}
        for mention in mentions:
            mention.occurrence = occurrence(mention, paragraphs.get(mention.article_id, []))


@admin.register(Mention)
class MentionAdmin(ArticlePartsAdmin):
    form = MentionForm
    list_title = "Tags"
    part_name = "tag"
    rejected_message = "rejected: re-tagging keeps them rejected"
    # The words tagged are marked in their sentence, so they need no column of their own.
    list_display = [
        "entity",
        "in_context",
        "article_title",
        "paragraph_number",
        "origin",
        "rejected",
    ]
    list_filter = ["rejected", "origin", "entity__kind"]
    list_select_related = ["entity"]
    list_per_page = 100
    # "6 results (50,000 total)" would count every tag in the archive on every page.
    show_full_result_count = False
    search_fields = ["entity__name", "surface"]
    autocomplete_fields = ["article", "entity"]
    readonly_fields = ["origin"]
    actions = ["reject_tags", "restore_tags", "reject_entity_in_articles"]
    ordering = ["article", "paragraph", "start", "pk"]

    def get_changelist(self, request, **kwargs):
        return MentionChangeList

    def get_list_display(self, request):
        """A list of one article's tags needs no article column, one entity's no entity."""
        hidden = {
            "article_title": "article__id__exact" in request.GET,
            "entity": "entity__id__exact" in request.GET,
        }
        return [name for name in self.list_display if not hidden.get(name)]

    def get_list_display_links(self, request, list_display):
        return ["paragraph_number"]

    def changelist_view(self, request, extra_context=None):
        entity_id = request.GET.get("entity__id__exact", "")
        entity = Entity.objects.filter(pk=entity_id).first() if entity_id.isdigit() else None
        if entity is not None and "article__id__exact" not in request.GET:
            extra_context = {
                **(extra_context or {}),
                "title": f"Tags of {entity.name} across the archive",
                "subtitle": format_html(
                    "Each with its sentence, newest articles first. "
                    '<a href="{}">Back to the entity</a>',
                    reverse("admin:archive_entity_change", args=[entity.pk]),
                ),
            }
        return super().changelist_view(request, extra_context)

    def get_ordering(self, request):
        if "entity__id__exact" in request.GET and "article__id__exact" not in request.GET:
            return ["-article__published_on", "-article_id", "paragraph", "start", "pk"]
        return super().get_ordering(request)

    @admin.display(description="in context")
    def in_context(self, mention):
        found = getattr(mention, "occurrence", None)
        if mention.paragraph is None:
            return "(the whole article)"
        if found is None or found.sentence is None:
            return format_html("“{}” (no longer at this place in the text)", mention.surface)
        return marked(found.sentence.text, found.sentence.marks)

    @admin.display(description="article", ordering="article__published_on")
    def article_title(self, mention):
        article = mention.article
        date = f"{article.published_on:%-d %B %Y}" if article.published_on else "date unknown"
        return format_html(
            '<a href="{}">{}</a> <span class="article-date">{}</span>',
            reverse("admin:archive_article_tags", args=[article.pk]),
            Truncator(article.title).chars(80),
            date,
        )

    @admin.display(description="¶", ordering="paragraph")
    def paragraph_number(self, mention):
        return f"¶{mention.paragraph}" if mention.paragraph is not None else "whole article"

    @admin.action(description="Reject the selected tags (wrong entity)", permissions=["change"])
    def reject_tags(self, request, queryset):
        self._set_rejected(request, queryset, True)

    @admin.action(description="Restore the selected rejected tags", permissions=["change"])
    def restore_tags(self, request, queryset):
        self._set_rejected(request, queryset, False)

    @admin.action(
        description="Reject the entity everywhere in the selected tags' articles",
        permissions=["change"],
    )
    def reject_entity_in_articles(self, request, queryset):
        changed, articles = reject_entities_in_articles(queryset, request.user)
        self.message_user(
            request,
            f"{changed} tag(s) rejected in {articles} article(s): re-tagging keeps them rejected.",
            messages.SUCCESS,
        )


@admin.register(Quote)
class QuoteAdmin(ArticlePartsAdmin):
    form = QuoteForm
    list_title = "Quotations"
    part_name = "quote"
    list_display = ["short_text", "speaker_name", "speaker", "article", "paragraph", "rejected"]
    list_filter = [
        "rejected",
        "origin",
        "speaker_corrected",
        ("speaker", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["speaker"]
    search_fields = ["text", "speaker_name", "speaker__name", "article__title"]
    autocomplete_fields = ["article", "speaker"]
    readonly_fields = ["start", "end", "origin", "speaker_corrected"]
    actions = ["reject_quotes", "restore_quotes", "merge_quotes", "split_quote"]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "article"] if obj is not None else fields

    @admin.display(description="quotation", ordering="text")
    def short_text(self, quote):
        return Truncator(quote.text).chars(90)

    @admin.action(description="Reject the selected quotes (not quotations)", permissions=["change"])
    def reject_quotes(self, request, queryset):
        self._set_rejected(request, queryset, True)

    @admin.action(description="Restore the selected rejected quotes", permissions=["change"])
    def restore_quotes(self, request, queryset):
        self._set_rejected(request, queryset, False)

    @admin.action(description="Merge two neighbouring quotes into one", permissions=["change"])
    def merge_quotes(self, request, queryset):
        quotes = list(queryset.select_related("article"))
        if len(quotes) != 2:
            self.message_user(request, "Select exactly two quotes to merge.", messages.ERROR)
            return
        try:
            merged = merge_quotes(*quotes)
        except QuoteEditError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self._articles_changed([merged.article_id])
        self.message_user(request, f"Merged into one quote: {merged}.", messages.SUCCESS)

    @admin.action(description="Split a quote in two", permissions=["change"])
    def split_quote(self, request, queryset):
        quotes = list(queryset.select_related("article"))
        if len(quotes) != 1:
            self.message_user(request, "Select exactly one quote to split.", messages.ERROR)
            return None
        quote = quotes[0]
        form = SplitQuoteForm(request.POST if "second_starts_with" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                first, second = split_quote(quote, form.cleaned_data["second_starts_with"])
            except QuoteEditError as error:
                form.add_error("second_starts_with", str(error))
            else:
                self._articles_changed([quote.article_id])
                self.message_user(request, f"Split into {first} and {second}.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Split a quote",
            "opts": self.model._meta,
            "quote": quote,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "quotes/admin_split.html", context)


@admin.register(Capture)
class CaptureAdmin(admin.ModelAdmin):
    """Captures are evidence: listed and downloaded, never changed here."""

    formfield_overrides = URL_FIELDS
    list_display = [
        "final_url",
        "article",
        "fetched_at",
        "http_status",
        "warc_size",
        "imported_from",
    ]
    list_select_related = ["article"]
    list_filter = [("article", admin.EmptyFieldListFilter)]  # empty: the article was deleted
    search_fields = ["url", "final_url", "title", "article__title"]
    date_hierarchy = "fetched_at"
    readonly_fields = ["warc_download", "article_page"]
    exclude = ["text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # nothing may be lost: a capture outlives even its article

    def get_urls(self):
        download = self.admin_site.admin_view(self.warc_view)
        return [
            path("<int:capture_id>/warc/", download, name="archive_capture_warc"),
            *super().get_urls(),
        ]

    @admin.display(description="WARC file")
    def warc_download(self, capture):
        return format_html(
            '<a href="{}">download {}</a>',
            reverse("admin:archive_capture_warc", args=[capture.pk]),
            capture.warc_path,
        )

    @admin.display(description="the page as captured")
    def article_page(self, capture):
        if capture.article_id is None:
            return "Its article was deleted; the capture and its WARC file are kept."
        return format_html('<a href="{}">{}</a>', capture.get_absolute_url(), capture)

    def warc_view(self, request, capture_id):
        """The capture's WARC file as a download, for editors who may see captures."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        capture = Capture.objects.filter(pk=capture_id).first()
        if capture is None or not capture.warc_file.is_file():
            raise Http404("No such capture, or its WARC file is missing (run manage.py verify).")
        response = FileResponse(
            open(capture.warc_file, "rb"),  # noqa: SIM115 (FileResponse closes it)
            as_attachment=True,
            filename=f"capture-{capture.pk}.warc.gz",
            content_type="application/warc",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class LatestCheckFilter(admin.SimpleListFilter):
    """By default one row an article, its latest check: what is known of each original now."""

    title = "checks shown"
    parameter_name = "checks"

    def lookups(self, request, model_admin):
        return [("all", "Every check")]

    def choices(self, changelist):
        for value, label in ((None, "The latest of each article"), ("all", "Every check")):
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value} if value else {}, [self.parameter_name]
                ),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        latest = (
            OriginalCheck.objects.filter(article=OuterRef("article"))
            .order_by("-checked_at", "-pk")
            .values("pk")[:1]
        )
        return queryset.filter(pk=Subquery(latest))


class OutcomeFilter(admin.SimpleListFilter):
    """Each outcome, and the three that mean the archived copy now matters most."""

    title = "outcome"
    parameter_name = "outcome"
    LOST_OR_ALTERED = "lost"
    LOST_OR_ALTERED_OUTCOMES = [
        OriginalCheck.Outcome.GONE,
        OriginalCheck.Outcome.MOVED,
        OriginalCheck.Outcome.CHANGED,
    ]

    def lookups(self, request, model_admin):
        return [
            (self.LOST_OR_ALTERED, "gone, moved or changed"),
            *OriginalCheck.Outcome.choices,
        ]

    def queryset(self, request, queryset):
        if self.value() == self.LOST_OR_ALTERED:
            return queryset.filter(outcome__in=self.LOST_OR_ALTERED_OUTCOMES)
        if self.value() in OriginalCheck.Outcome.values:
            return queryset.filter(outcome=self.value())
        return queryset


@admin.register(OriginalCheck)
class OriginalCheckAdmin(admin.ModelAdmin):
    """What the originals answered when asked again (`manage.py check_originals`): by default
    the latest of each article, newest first; filter for those gone, moved or changed."""

    formfield_overrides = URL_FIELDS
    list_display = [
        "checked_at",
        "outcome",
        "article_link",
        "url",
        "where_it_led",
        "http_status",
        "detail",
        "evidence_link",
    ]
    list_display_links = None
    list_filter = [
        LatestCheckFilter,
        OutcomeFilter,
        "checked_at",
        ("article__source", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["article", "evidence"]
    search_fields = ["url", "final_url", "article__title", "article__slug"]
    date_hierarchy = "checked_at"
    ordering = ["-checked_at", "-pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the history of the original: kept whole

    @admin.display(description="article", ordering="article__title")
    def article_link(self, check):
        if check.article_id is None:
            return "Its article was deleted; the checks of its original are kept."
        return format_html(
            '<a href="{}">{}</a> (<a href="{}">public page</a>)',
            reverse("admin:archive_article_change", args=[check.article_id]),
            check.article.title,
            check.article.get_absolute_url(),
        )

    @admin.display(description="led to")
    def where_it_led(self, check):
        return check.final_url if check.final_url and check.final_url != check.url else "—"

    @admin.display(description="kept as")
    def evidence_link(self, check):
        if check.evidence is None:
            return "—"
        if check.evidence.article_id is None:  # its article was deleted: no public page
            return format_html(
                '<a href="{}">its WARC file</a>',
                reverse("admin:archive_capture_warc", args=[check.evidence_id]),
            )
        return format_html(
            '<a href="{}">the page as it answered</a>', check.evidence.get_absolute_url()
        )
