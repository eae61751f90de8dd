"""Who may do what through the API."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class CuratorsWriteOthersRead(BasePermission):
    """Anyone may read; only a user with the model's add/change/delete permission may write it
    (the Curators group holds those), so a token of any other user cannot write."""

    actions = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        action = self.actions.get(request.method)
        opts = view.get_queryset().model._meta
        return action is not None and user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
