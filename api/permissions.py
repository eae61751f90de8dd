"""Who may do what through the API."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from catalogue import workflow


class WritesFollowTheWorkflow(BasePermission):
    """Anyone may read. A staff user's token writes as the editorial workflow allows
    (`catalogue.workflow`): creating needs the model's add permission, changing a record
    `can_edit` (a contributor changes drafts only), deleting `can_delete` (curators only).
    Which `publication` a write may set, the serializer checks."""

    message = "Your account may not make this change."

    def has_permission(self, request, view):
        # A method the address does not answer is refused as such (405), whoever asks.
        if request.method in SAFE_METHODS or request.method not in view.allowed_methods:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        model = view.get_queryset().model
        if request.method == "DELETE":
            needed = [workflow.permission(model, action) for action in ("delete", "publish")]
            self.message = (
                f"Deleting a {model._meta.verbose_name} needs the permissions "
                f"{' and '.join(needed)} (curators)."
            )
            return workflow.can_delete(user, model)
        action = {"POST": "add", "PUT": "change", "PATCH": "change"}.get(request.method)
        return action is not None and user.has_perm(workflow.permission(model, action))

    def has_object_permission(self, request, view, obj):
        if request.method not in ("PUT", "PATCH"):
            return True
        self.message = (
            f"This {obj._meta.verbose_name} is {obj.get_publication_display()}: only a curator "
            "may change it; a contributor changes drafts only."
        )
        return workflow.can_edit(request.user, obj)
