"""The editorial workflow in admin (see `catalogue.workflow`).

Contributors add drafts and change them while they are drafts, with their link rows; they see
other records read-only, never delete, and never set `publication`: they submit a draft for
review with a button. Curators may do everything, and move records with the buttons "Publish",
"Send back…" and "Archive", each confirmed on a page of its own with a comment that the
record's history keeps, or in bulk with the list's actions.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalogue import workflow
from catalogue.documents import DocumentInvalid
from catalogue.models import Record


class TransitionForm(forms.Form):
    required_css_class = "required"

    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, transition: workflow.Transition, **kwargs):
        super().__init__(*args, **kwargs)
        comment = self.fields["comment"]
        comment.required = transition.needs_comment
        if transition.needs_comment:
            comment.label = "Why, and what to change"
            comment.help_text = "The contributor reads this on the record's page in admin."
        else:
            comment.label = "Comment"
            comment.help_text = (
                f"Kept in the record’s history; “{transition.default_message}” if left empty."
            )


class WorkflowAdminMixin:
    """For a record's `ModelAdmin`: the workflow's rules as admin permissions, its transitions
    as buttons on the change form and as actions on the list."""

    actions = ("publish_selected", "archive_selected")

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/workflow/<str:verb>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{opts.app_label}_{opts.model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if workflow.can_publish(request.user, self.model):
            return fields
        # A new record starts as a draft; a contributor moves it on with the transitions.
        return (*fields, "publication")

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return workflow.can_edit(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return workflow.can_delete(request.user, self.model)

    def has_publish_permission(self, request) -> bool:
        """For the actions that need `permissions=["publish"]`."""
        return workflow.can_publish(request.user, self.model)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                workflow_transitions=[
                    (step, self.transition_url(obj, step.verb))
                    for step in workflow.allowed_transitions(obj, request.user)
                ],
                sent_back=workflow.last_sent_back(obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def transition_url(self, obj, verb: str) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_transition",
            args=[quote(obj.pk), verb],
        )

    def transition_view(self, request, object_id: str, verb: str):
        """Confirms a transition of one record, with a comment, and runs it."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        step = workflow.TRANSITIONS.get(verb)
        if step is None:
            raise Http404(f"No transition is called “{verb}”.")
        if not workflow.can_perform(request.user, step, self.model):
            raise PermissionDenied
        change_url = reverse(
            f"{self.admin_site.name}:{obj._meta.app_label}_{obj._meta.model_name}_change",
            args=[quote(obj.pk)],
        )
        if request.method != "POST":
            # Refused at once rather than after the curator wrote a comment.
            try:
                workflow.check_starts_from(obj, step)
            except ValidationError as error:
                self.message_user(request, refusal(obj, step, error), messages.ERROR)
                return HttpResponseRedirect(change_url)
        form = TransitionForm(request.POST if request.method == "POST" else None, transition=step)
        if request.method == "POST" and form.is_valid():
            try:
                workflow.transition(
                    obj, verb, user=request.user, comment=form.cleaned_data["comment"]
                )
            except ValidationError as error:
                self.message_user(request, refusal(obj, step, error), messages.ERROR)
            else:
                self.message_user(request, f"“{obj}” was {step.done}.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{step.label}: “{obj}”",
            "opts": self.model._meta,
            "object": obj,
            "transition": step,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/catalogue/workflow_transition.html", context)

    @admin.action(description="Publish the selected records", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self.run_transition(request, queryset, "publish")

    @admin.action(description="Archive the selected records", permissions=["publish"])
    def archive_selected(self, request, queryset):
        self.run_transition(request, queryset, "archive")

    def run_transition(self, request, queryset, verb: str) -> None:
        """Runs the transition `verb` on each record of `queryset`, each as its own version;
        reports those it moved and those whose state (or content) does not allow it."""
        step = workflow.TRANSITIONS[verb]
        moved, skipped = 0, []
        for record in queryset:
            try:
                workflow.transition(record, verb, user=request.user)
            except ValidationError as error:
                skipped.append(refusal(record, step, error))
            else:
                moved += 1
        if moved:
            self.message_user(request, f"{moved} record(s) {step.done}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{len(skipped)} record(s) left as they were: {' '.join(skipped)}",
                messages.WARNING,
            )


def refusal(record: Record, step: workflow.Transition, error: ValidationError) -> str:
    """Why `record` was not moved by `step`: its state, or the rules it breaks, by field."""
    if isinstance(error, DocumentInvalid):
        problems = "; ".join(
            f"{field}: {text}" for field, texts in error.messages_by_field.items() for text in texts
        )
        return f"“{record}” cannot be {step.done} before it is corrected: {problems}"
    return " ".join(error.messages)


class WorkflowInlineMixin:
    """For a record's inline link rows (participations, parties, providers, citations): they
    are part of the record, so whoever may edit the record adds, changes and removes them."""

    def has_add_permission(self, request, obj):
        return self.may_edit_record(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.may_edit_record(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.may_edit_record(request, obj)

    def may_edit_record(self, request, record) -> bool:
        if record is None:
            return request.user.has_perm(workflow.permission(self.parent_model, "add"))
        return workflow.can_edit(request.user, record)
