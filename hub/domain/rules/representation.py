"""Who may lodge for the carnet holder (G2): the holder itself, or a representative YKTS confirms (A4).

Karne hamili: where the carnet names its holder's id, a declarant lodging as holder must carry that
id; anyone else lodges as representative. Temsilci: who lodges as representative for a holder whose
carnet names a Turkish tax number (VKN) must be on record in YKTS as directly authorised to represent
that firm (doğrudan temsil), on the day of the check. YKTS knows persons by TCKN, so such a
representative identifies by TCKN. A holder with no VKN (a foreign holder, or a person) is not in
YKTS: its representative's authority rests on the paper power of attorney, as before e-ATA/TR.
"""

from __future__ import annotations

from hub.domain.commands import LodgeDeclaration
from hub.domain.identity import IdKind, identity_problem
from hub.domain.model import Carnet
from hub.domain.rules.base import Context, LookUpAuthority, Pending, Refused, refuse_unless

REPRESENTATIVE = "representative"


def check_declarant(carnet: Carnet, cmd: LodgeDeclaration, ctx: Context) -> None:
    """Refuse (G2) a declarant who is neither the holder nor a representative YKTS authorises, or wait
    for YKTS to say (LookUpAuthority)."""
    declarant = cmd.declarant
    holder = carnet.data.holder_id
    if declarant.acts_as != REPRESENTATIVE:
        refuse_unless(
            holder is None or declarant.id_value == holder,
            "G2",
            f"{declarant.name} ({declarant.id_kind} {declarant.id_value}) is not the holder of carnet "
            f"{carnet.number}, {carnet.data.holder_name} ({holder}): lodge as its representative",
        )
        return
    firm = represented_firm(carnet)
    if firm is None:
        return
    refuse_unless(
        declarant.id_kind == IdKind.TCKN,
        "G2",
        f"a representative of {carnet.data.holder_name} (VKN {firm}) is checked in YKTS, which knows persons "
        f"by TCKN: lodge with the representative's TCKN, not a {declarant.id_kind}",
    )
    answer = ctx.authority
    if answer is None or (answer.firm_vkn, answer.person_tckn) != (firm, declarant.id_value):
        raise Pending(LookUpAuthority(firm_vkn=firm, person_tckn=declarant.id_value))
    refuse_unless(
        answer.authorised,
        "G2",
        f"{declarant.name} (TCKN {declarant.id_value}) is not registered in YKTS as directly authorised to "
        f"represent {carnet.data.holder_name} (VKN {firm}): {answer.reason or 'no authority on record'}",
    )


def represented_firm(carnet: Carnet) -> str | None:
    """The holder's VKN when the carnet names one: a firm YKTS can speak for."""
    holder = carnet.data.holder_id
    if holder is None or identity_problem(IdKind.VKN, holder) is not None:
        return None
    return holder


def authority_unavailable(cmd: LodgeDeclaration, firm_vkn: str, reason: str) -> Refused:
    """YKTS did not answer within the adapter's bound: the representative cannot be confirmed (G2)."""
    return Refused(
        "G2",
        f"the authority of {cmd.declarant.name} to represent VKN {firm_vkn} could not be checked in YKTS "
        f"({reason}); lodge again later",
    )
