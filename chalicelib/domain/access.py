"""Who may do what: the role matrix of DESIGN §5 as data, checked by the services."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden

ROLES = ("viewer", "accountant", "approver", "admin")

PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"viewer", "accountant", "approver", "admin"}),
    "edit_invoices": frozenset({"accountant", "admin"}),
    "approve_invoices": frozenset({"approver", "admin"}),
    "configure_billing": frozenset({"accountant", "admin"}),
    "manage_settings": frozenset({"admin"}),
    "retry_jobs": frozenset({"accountant", "admin"}),
    "save_quotes": frozenset({"accountant", "admin"}),
    "manage_users": frozenset({"admin"}),
    "run_generation": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    role: str

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


SYSTEM = Principal(user_id="", email="system", role="admin")


def authorize(principal: Principal | None, permission: str) -> Principal:
    """Return the principal when it holds ``permission``; raise ``Forbidden`` otherwise."""
    if principal is None or not principal.can(permission):
        allowed = sorted(PERMISSIONS[permission])
        raise Forbidden(f"this action needs one of the roles: {', '.join(allowed)}",
                        details={"permission": permission, "allowed_roles": allowed})
    return principal
