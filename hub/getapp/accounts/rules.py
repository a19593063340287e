"""The rules of GET-APP firm accounts (Circular 2017/12, A4–A7), pure.

No I/O, no clock, no randomness: the time, the next user code and whether a password matched come in
as arguments, and every function answers a new value (the state is immutable) or raises `Refusal`.

- A4: a firm applies by a person registered in YKTS as directly authorised to represent it.
- A5: once YKTS confirms that authority, a user code is assigned automatically and sent to the firm's
  e-mail address registered in YKTS, never to an address typed in the application.
- A6: a firm gives use rights to at most 5 persons (the applicant counts as one).
- A7: user codes are cancelled and passwords changed in the programme; repeated failed logins lock
  the user code for a while.

About 470 lines on purpose: every account rule of the circular (A4–A7) and the state they act on, in
one pure module a reader and the rule table find whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from hub.domain.identity import IdKind, identity_problem
from hub.domain.ykts import AuthorityChecked, AuthorityCheckFailed

MAX_ACTIVE_USERS = 5  # A6: persons with active use rights per firm, the applicant included
MAX_FAILED_LOGINS = 5  # A7: failures in a row that lock a user code ...
LOCK_DURATION = timedelta(minutes=15)  # ... for this long
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # hashing a password costs; a megabyte "password" must not
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254

USER_CODE_PREFIX = "GA"
USER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1: read off a mail, typed by hand
USER_CODE_LENGTH = 8
_USER_CODE = re.compile(rf"^{USER_CODE_PREFIX}[{USER_CODE_ALPHABET}]{{{USER_CODE_LENGTH}}}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Where the initial password goes in a credentials mail. The password exists only when the mail is
# sent (mail.MailRelay): the queued mail never holds it, so the store never holds it in clear.
PASSWORD_SLOT = "⟦initial-password⟧"

NOTICE_TR = "Bu bilgiler bilgilendirme amaçlıdır; hukuki bağlayıcılığı yoktur."
NOTICE_EN = "This information is for guidance only and is not legally binding."


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class RefusalKind(StrEnum):
    INVALID = "invalid"  # malformed input
    UNAUTHENTICATED = "unauthenticated"  # no valid session
    FORBIDDEN = "forbidden"  # logged in, but not allowed (not an owner, initial password not changed)
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # e.g. the last owner, a person who already has a user code
    LIMIT = "limit"  # A6
    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"  # A7 lockout
    UNAVAILABLE = "unavailable"  # YKTS could not be asked


class Refusal(Exception):
    """A request the rules do not allow, with the reason in words and the rule id when one applies."""

    def __init__(self, kind: RefusalKind, reason: str, *, rule: str | None = None, until: datetime | None = None):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.rule = rule
        self.until = until


@dataclass(frozen=True)
class Application:
    id: str
    firm_vkn: str
    person_tckn: str
    person_name: str
    contact_email: str | None  # typed by the applicant: kept for the record, never used to deliver (A5)
    status: Status
    reason: str
    created_at: datetime
    decided_at: datetime | None = None
    user_code: str | None = None


@dataclass(frozen=True)
class Firm:
    vkn: str
    name: str
    email: str  # registered in YKTS: the only address user codes and passwords go to (A5)
    created_at: datetime


@dataclass(frozen=True)
class User:
    user_code: str
    firm_vkn: str
    person_name: str
    tckn: str
    is_owner: bool  # authorised in YKTS to represent the firm (came in through an application, A4)
    created_at: datetime
    active: bool = True
    must_change_password: bool = True  # the initial password travelled by e-mail
    failed_logins: int = 0  # failures in a row (A7)
    locked_until: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class Account:
    """A firm and every user it ever had (cancelled ones included)."""

    firm: Firm
    users: tuple[User, ...]

    @property
    def active_users(self) -> tuple[User, ...]:
        return tuple(u for u in self.users if u.active)

    def user(self, user_code: str) -> User | None:
        return next((u for u in self.users if u.user_code == user_code), None)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str  # holds PASSWORD_SLOT where the initial password goes, when credentials_for is set
    credentials_for: str | None  # the user code whose initial password is made when the mail is sent


@dataclass(frozen=True)
class Approval:
    application: Application
    firm: Firm
    new_firm: bool
    user: User
    mail: Mail


@dataclass(frozen=True)
class Rejection:
    application: Application


@dataclass(frozen=True)
class Ignored:
    reason: str


Decision = Approval | Rejection | Ignored


@dataclass(frozen=True)
class LoginAccepted:
    user: User


@dataclass(frozen=True)
class LoginRefused:
    locked: bool
    until: datetime | None
    reason: str


LoginOutcome = LoginAccepted | LoginRefused


# --- A4: the application --------------------------------------------------------------------------------


def _person_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise Refusal(RefusalKind.INVALID, f"the person's name must be 1 to {MAX_NAME_LENGTH} characters")
    if not all(c.isalpha() or c in " .'-" for c in cleaned):
        raise Refusal(RefusalKind.INVALID, "the person's name may hold letters, spaces and . ' - only")
    return cleaned


def _tckn(tckn: str) -> str:
    problem = identity_problem(IdKind.TCKN, tckn)
    if problem:
        raise Refusal(RefusalKind.INVALID, problem)
    return tckn


def new_application(
    application_id: str,
    firm_vkn: str,
    person_tckn: str,
    person_name: str,
    typed_email: str | None,
    now: datetime,
) -> Application:
    """A firm applies by a person who says he is authorised to represent it; YKTS will tell (A4)."""
    problem = identity_problem(IdKind.VKN, firm_vkn)
    if problem:
        raise Refusal(RefusalKind.INVALID, problem, rule="A4")
    tckn = _tckn(person_tckn)
    name = _person_name(person_name)
    contact = (typed_email or "").strip() or None
    if contact is not None and len(contact) > MAX_EMAIL_LENGTH:
        raise Refusal(RefusalKind.INVALID, f"the e-mail address is longer than {MAX_EMAIL_LENGTH} characters")
    return Application(
        id=application_id,
        firm_vkn=firm_vkn,
        person_tckn=tckn,
        person_name=name,
        contact_email=contact,
        status=Status.PENDING,
        reason="",
        created_at=now,
    )


def _refuse(application: Application, reason: str, now: datetime) -> Rejection:
    return Rejection(replace(application, status=Status.REFUSED, reason=reason, decided_at=now))


def decide_application(
    application: Application,
    answer: AuthorityChecked | AuthorityCheckFailed,
    account: Account | None,
    user_code: str,
    now: datetime,
) -> Decision:
    """YKTS answered the authority check: create the account (or add the applicant to it), or refuse.

    A4: only a YKTS answer that the person is authorised creates anything. A5: the user code is the one
    given (assigned by the system, never chosen), and the mail goes to the e-mail YKTS has registered
    for the firm, whatever the application typed. A6: the applicant counts among the firm's 5 persons.
    """
    if application.status != Status.PENDING:
        return Ignored(f"application {application.id} was already {application.status}")
    if str(answer.request_id) != application.id:
        return Ignored(f"answer to request {answer.request_id}, not to application {application.id}")
    if (answer.firm_vkn, answer.person_tckn) != (application.firm_vkn, application.person_tckn):
        return _refuse(application, "YKTS answered about another firm or person than the application named", now)
    if isinstance(answer, AuthorityCheckFailed):
        return _refuse(application, f"YKTS could not be asked ({answer.reason}); apply again later", now)
    if not answer.authorised:  # rule: A4, only a person YKTS authorises creates anything
        why = answer.reason or "the person is not registered in YKTS as directly authorised to represent the firm"
        return _refuse(application, f"A4: {why}", now)
    email = (answer.firm_email or "").strip()  # rule: A5, the mail goes to the e-mail YKTS has, never a typed one
    if not _EMAIL.fullmatch(email) or len(email) > MAX_EMAIL_LENGTH:
        return _refuse(
            application, "A5: the firm has no usable e-mail address registered in YKTS to send the user code to", now
        )
    if not is_user_code(user_code):
        raise ValueError(f"{user_code!r} is not a user code")
    if account is not None:
        if any(u.tckn == application.person_tckn for u in account.active_users):
            return _refuse(application, "this person already has an active GET-APP user code for this firm", now)
        if len(account.active_users) >= MAX_ACTIVE_USERS:  # rule: A6, the applicant counts among the 5
            return _refuse(application, _a6_reason(), now)
    firm = Firm(
        vkn=application.firm_vkn,
        # YKTS's register is the truth for the firm's name and e-mail: the latest answer replaces them.
        name=(answer.firm_name or "").strip() or (account.firm.name if account else application.firm_vkn),
        email=email,
        created_at=account.firm.created_at if account else now,
    )
    user = User(
        user_code=user_code,
        firm_vkn=firm.vkn,
        person_name=application.person_name,
        tckn=application.person_tckn,
        is_owner=True,
        created_at=now,
    )
    approved = replace(application, status=Status.APPROVED, reason="", decided_at=now, user_code=user_code)
    return Approval(approved, firm, account is None, user, credentials_mail(firm, user))


# --- A5: user codes and the mail that carries them --------------------------------------------------------


def new_user_code(pick: Callable[[Sequence[str]], str]) -> str:
    """A user code assigned by the system (A5); `pick` chooses one character (secrets.choice in production)."""
    # rule: A5, assigned, never chosen
    return USER_CODE_PREFIX + "".join(pick(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def is_user_code(value: str) -> bool:
    return _USER_CODE.fullmatch(value) is not None


def credentials_mail(firm: Firm, user: User) -> Mail:
    """The mail with a user code and its initial password, to the firm's e-mail registered in YKTS (A5)."""
    body = "\n".join(
        [
            "Sayın yetkili,",
            "",
            f"{firm.name} (VKN {firm.vkn}) firması için GET-APP kullanıcı kodu tanımlanmıştır.",
            f"Kişi: {user.person_name}",
            f"Kullanıcı kodu: {user.user_code}",
            f"İlk şifre: {PASSWORD_SLOT}",
            "Bu şifreyi ilk girişinizde değiştirmeniz gerekmektedir; değiştirmeden program kullanılamaz.",
            "Kullanıcı kodunun üçüncü kişilerle paylaşılmasından firmanız sorumludur.",
            "",
            "Dear authorised representative,",
            "",
            f"A GET-APP user code has been created for {firm.name} (tax id {firm.vkn}).",
            f"Person: {user.person_name}",
            f"User code: {user.user_code}",
            f"Initial password: {PASSWORD_SLOT}",
            "You must change this password at your first login; the programme cannot be used before.",
            "Your firm is responsible for user codes shared with third parties.",
            "",
            f"{NOTICE_TR} / {NOTICE_EN}",
            "",
        ]
    )
    return Mail(
        to=firm.email,  # rule: A5 (never an address typed in the application)
        subject="GET-APP kullanıcı kodunuz / Your GET-APP user code",
        body=body,
        credentials_for=user.user_code,
    )


def fill_password(body: str, password: str) -> str:
    """The mail as it is sent: the initial password in its slots."""
    return body.replace(PASSWORD_SLOT, password)


# --- A6: at most 5 persons --------------------------------------------------------------------------------


def _a6_reason() -> str:
    return f"A6: a firm may give use rights to at most {MAX_ACTIVE_USERS} persons; cancel a user code first"


def _acting(account: Account, actor_code: str) -> User:
    actor = account.user(actor_code)
    if actor is None or not actor.active:
        raise Refusal(RefusalKind.UNAUTHENTICATED, "the user code is not active")
    require_password_changed(actor)
    return actor


def add_user(
    account: Account, actor_code: str, person_name: str, tckn: str, user_code: str, now: datetime
) -> tuple[User, Mail]:
    """An owner gives a person use rights: a new user code, mailed to the firm's YKTS e-mail (A5, A6)."""
    actor = _acting(account, actor_code)
    if not actor.is_owner:
        raise Refusal(RefusalKind.FORBIDDEN, "only a person authorised in YKTS to represent the firm adds users")
    name = _person_name(person_name)
    tckn = _tckn(tckn)
    if any(u.tckn == tckn for u in account.active_users):
        raise Refusal(RefusalKind.CONFLICT, "this person already has an active user code for this firm")
    if len(account.active_users) >= MAX_ACTIVE_USERS:
        raise Refusal(RefusalKind.LIMIT, _a6_reason(), rule="A6")
    if not is_user_code(user_code):
        raise ValueError(f"{user_code!r} is not a user code")
    user = User(
        user_code=user_code, firm_vkn=account.firm.vkn, person_name=name, tckn=tckn, is_owner=False, created_at=now
    )
    return user, credentials_mail(account.firm, user)


# --- A7: cancelling user codes, passwords, failed logins ---------------------------------------------------


def cancel_user(account: Account, actor_code: str, target_code: str, now: datetime) -> User:
    """Cancel a user code (A7): an owner cancels any, a user his own; the last owner stays."""
    actor = _acting(account, actor_code)
    target = account.user(target_code)
    if target is None or not target.active:
        raise Refusal(RefusalKind.NOT_FOUND, f"no active user code {target_code} in this firm")
    if target.user_code != actor.user_code and not actor.is_owner:
        raise Refusal(RefusalKind.FORBIDDEN, "only a person authorised in YKTS to represent the firm cancels others")
    owners = [u for u in account.active_users if u.is_owner]
    if target.is_owner and len(owners) == 1:
        raise Refusal(
            RefusalKind.CONFLICT,
            "A7: the firm's last owner (authorised in YKTS) cannot be cancelled; another authorised person "
            "applies first",
            rule="A7",
        )
    return replace(target, active=False, cancelled_at=now, failed_logins=0, locked_until=None)


def require_password_changed(user: User) -> None:
    """The initial password travelled by e-mail: nothing but changing it is allowed until it is (A7)."""
    if user.must_change_password:
        raise Refusal(RefusalKind.FORBIDDEN, "A7: change the initial password first", rule="A7")


def password_problem(user_code: str, old: str, new: str) -> str | None:
    """Why a new password cannot be used, or None (A7)."""
    # rule: A7
    if len(new) < MIN_PASSWORD_LENGTH:
        return f"the new password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(new) > MAX_PASSWORD_LENGTH:
        return f"the new password must have at most {MAX_PASSWORD_LENGTH} characters"
    if new.strip().casefold() == user_code.casefold():
        return "the new password must not be the user code"
    if new == old:
        return "the new password must differ from the old one"
    return None


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def locked_refusal(user: User) -> LoginRefused:
    return LoginRefused(
        locked=True,
        until=user.locked_until,
        reason=f"A7: the user code is locked after {MAX_FAILED_LOGINS} failed logins in a row",
    )


def _failed(user: User, now: datetime) -> tuple[User, LoginRefused]:
    count = user.failed_logins + 1
    if count >= MAX_FAILED_LOGINS:
        # rule: A7 — locked for LOCK_DURATION; the count starts again when the lock ends
        locked = replace(user, failed_logins=0, locked_until=now + LOCK_DURATION)
        return locked, locked_refusal(locked)
    return replace(user, failed_logins=count, locked_until=None), LoginRefused(
        locked=False, until=None, reason="wrong user code or password"
    )


def login_attempt(user: User | None, password_ok: bool, now: datetime) -> tuple[User | None, LoginOutcome]:
    """One login (A7): a locked code is refused without looking at the password; 5 failures in a row lock it
    for 15 minutes; a success resets the count. Unknown and cancelled codes answer like a wrong password."""
    if user is None or not user.active:
        return user, LoginRefused(locked=False, until=None, reason="wrong user code or password")
    if is_locked(user, now):  # rule: A7
        return user, locked_refusal(user)
    if not password_ok:
        return _failed(user, now)
    ok = replace(user, failed_logins=0, locked_until=None)
    return ok, LoginAccepted(ok)


@dataclass(frozen=True)
class PasswordChange:
    user: User
    refusal: Refusal | None  # when set: refused, but `user` (the failure count) is still to be saved


def check_can_change_password(user: User, now: datetime) -> None:
    """A cancelled or locked user code changes nothing (A7)."""
    if not user.active:
        raise Refusal(RefusalKind.UNAUTHENTICATED, "the user code is not active")
    if is_locked(user, now):
        raise Refusal(RefusalKind.LOCKED, locked_refusal(user).reason, rule="A7", until=user.locked_until)


def change_password(user: User, old_ok: bool, now: datetime) -> PasswordChange:
    """Change a password (A7), once `password_problem` found nothing: the old one is required; a wrong
    old password counts as a failed login, so a stolen session cannot guess it without the lockout."""
    check_can_change_password(user, now)
    if not old_ok:
        failed, refused = _failed(user, now)
        if refused.locked:
            return PasswordChange(failed, Refusal(RefusalKind.LOCKED, refused.reason, rule="A7", until=refused.until))
        return PasswordChange(failed, Refusal(RefusalKind.WRONG_PASSWORD, "the old password is wrong", rule="A7"))
    return PasswordChange(replace(user, must_change_password=False, failed_logins=0, locked_until=None), None)


def mask_tckn(tckn: str) -> str:
    """Enough of a TCKN to tell persons apart on a screen, not enough to use it."""
    return tckn[:2] + "*" * (len(tckn) - 4) + tckn[-2:]
