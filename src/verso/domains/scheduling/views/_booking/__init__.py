"""The public booking flow: choose a type and a time (/book), give your details, see the confirmation
with the check-in code, and later change or cancel through the signed link in the email, or claim a
waitlist offer. Every page works without JavaScript and without an account."""

from verso.domains.scheduling.views._booking import _claim, _details, _manage, _pick

routes = [*_pick.routes, *_details.routes, *_manage.routes, *_claim.routes]
