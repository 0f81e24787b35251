"""Writes of users, organizations and memberships."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import permissions as perms
from .models import (
    NON_LEGAL_PERSON_TYPES,
    RECOMMENDING_TYPES,
    Membership,
    Organization,
    OrgType,
    Role,
    User,
    recommending_unit_of,
)

# ``legal_person`` and ``channel`` are optional: a row without them keeps the unit's (a new
# unit: legal person unless a branch; the default channel).
ORG_COLUMNS = ("code", "name", "type", "parent", "pilot_county", "legal_person", "channel")
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"", "0", "false", "no", "n", "否", "f"}


class OrganizationImportError(Exception):
    """An import refused as a whole; ``errors`` name the line and field of each problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class OrgRow:
    line: str
    code: str
    name: str
    type: str
    parent: str
    pilot_county: bool
    # None: not given (kept, or the default of a new unit).
    legal_person: bool | None = None
    # None: not given (kept); "": no channel (the default).
    channel: str | None = None


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise OrganizationImportError(
            [_("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": exc.strerror}]
        ) from exc


def _read_rows(raw: bytes, suffix: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise OrganizationImportError(
            [_("第 %(line)s 行：文件不是 UTF-8 编码（第 %(pos)s 字节）") % {"line": line, "pos": exc.start + 1}]
        ) from exc
    if suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OrganizationImportError(
                [_("第 %(line)s 行：JSON 格式错误：%(msg)s") % {"line": exc.lineno, "msg": exc.msg}]
            ) from exc
        if isinstance(data, dict) and "organizations" in data:
            data = data["organizations"]
        if not isinstance(data, list):
            raise OrganizationImportError([_("JSON 文件必须是组织对象的数组")])
        rows = []
        for i, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise OrganizationImportError([_("第 %(line)s 项：必须是对象") % {"line": i}])
            rows.append((_("第 %(n)s 项") % {"n": i}, item))
        return rows
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise OrganizationImportError([_("文件为空")])
    header = [h.strip() for h in reader.fieldnames]
    missing = [c for c in ("code", "name", "type") if c not in header]
    unknown = [c for c in header if c not in ORG_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(_("第 1 行：缺少列 %(cols)s") % {"cols": ", ".join(missing)})
        if unknown:
            problems.append(_("第 1 行：未知的列 %(cols)s") % {"cols": ", ".join(unknown)})
        raise OrganizationImportError(problems)
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise OrganizationImportError([_("第 %(line)s 行：列数多于表头") % {"line": reader.line_num}])
        if not any((v or "").strip() for v in row.values()):
            continue
        rows.append((_("第 %(n)s 行") % {"n": reader.line_num}, row))
    return rows


def _parse(rows: list[tuple[str, dict[str, Any]]]) -> tuple[list[OrgRow], list[str]]:
    errors: list[str] = []
    parsed: list[OrgRow] = []
    seen: dict[str, str] = {}
    for line, raw in rows:
        unknown = sorted(set(raw) - set(ORG_COLUMNS))
        if unknown:
            errors.append(_("%(line)s：未知的字段 %(fields)s") % {"line": line, "fields": ", ".join(unknown)})
        code = str(raw.get("code") or "").strip()
        name = str(raw.get("name") or "").strip()
        type_ = str(raw.get("type") or "").strip()
        parent = str(raw.get("parent") or "").strip()
        pilot_raw = raw.get("pilot_county")
        if pilot_raw is None:  # a missing column or a JSON null: not a pilot county
            pilot_raw = ""
        where = {"line": line}
        if not code:
            errors.append(_("%(line)s，字段 code：不能为空") % where)
        elif len(code) > 50 or not all(c.isalnum() or c in "-_." for c in code):
            errors.append(
                _("%(line)s，字段 code：“%(value)s”只能由字母、数字和 - _ . 组成，最长 50 个字符")
                % {**where, "value": code}
            )
        elif code in seen:
            errors.append(
                _("%(line)s，字段 code：“%(value)s”与%(other)s重复") % {**where, "value": code, "other": seen[code]}
            )
        else:
            seen[code] = line
        if not name:
            errors.append(_("%(line)s，字段 name：不能为空") % where)
        elif len(name) > 200:
            errors.append(_("%(line)s，字段 name：不能超过 200 个字符") % where)
        if type_ not in OrgType.values:
            errors.append(
                _("%(line)s，字段 type：未知的类型“%(value)s”（可选：%(choices)s）")
                % {**where, "value": type_, "choices": ", ".join(OrgType.values)}
            )
        if isinstance(pilot_raw, bool):
            pilot = pilot_raw
        elif str(pilot_raw).strip().lower() in _TRUE:
            pilot = True
        elif str(pilot_raw).strip().lower() in _FALSE:
            pilot = False
        else:
            pilot = False
            errors.append(_("%(line)s，字段 pilot_county：“%(value)s”不是是/否") % {**where, "value": pilot_raw})
        if pilot and type_ != OrgType.COUNTY_CAST:
            errors.append(_("%(line)s，字段 pilot_county：只有县级科协可以是试点县") % where)
        legal_raw = raw.get("legal_person")
        legal: bool | None = None
        if isinstance(legal_raw, bool):
            legal = legal_raw
        elif legal_raw is not None and str(legal_raw).strip() != "":
            if str(legal_raw).strip().lower() in _TRUE:
                legal = True
            elif str(legal_raw).strip().lower() in _FALSE:
                legal = False
            else:
                errors.append(_("%(line)s，字段 legal_person：“%(value)s”不是是/否") % {**where, "value": legal_raw})
        channel_raw = raw.get("channel")
        channel = None if channel_raw is None else str(channel_raw).strip()
        parsed.append(OrgRow(line, code, name, type_, parent, pilot, legal, channel))
    return parsed, errors


@transaction.atomic
def organizations_import(
    *, path: Path | None = None, content: bytes | None = None, filename: str = "", actor: Any = None
) -> dict[str, int]:
    """Create or update organizations from a CSV or JSON file, all or nothing: the file at
    ``path``, or ``content`` uploaded as ``filename`` (its suffix tells JSON from CSV).

    Side effects, in order: validates every row (unknown parent, cycle, duplicate code,
    unknown type, …) and raises OrganizationImportError naming each line and field if any fails;
    otherwise creates and updates the rows, links parents, and recomputes every
    organization's recommending unit. Not audited: the command line's operator runs it as is;
    the upload page goes through administration.people.services.units_import, which audits.
    """
    if path is not None:
        content, filename = _read_file(path), path.name
    rows, errors = _parse(_read_rows(content or b"", Path(filename).suffix))
    existing = {o.code: o for o in Organization.objects.all()}
    code_by_id = {o.pk: o.code for o in existing.values()}
    # The tree as it will be after the import: existing parents, overridden by the file.
    parent_of = {o.code: code_by_id.get(o.parent_id, "") for o in existing.values()}
    type_of = {o.code: o.type for o in existing.values()}
    for r in rows:
        parent_of[r.code] = r.parent
        type_of[r.code] = r.type
    for r in rows:
        where = {"line": r.line, "value": r.parent}
        if r.parent and r.parent not in parent_of:
            errors.append(_("%(line)s，字段 parent：上级组织“%(value)s”不存在") % where)
        if r.type == OrgType.CAST and r.parent:
            errors.append(_("%(line)s，字段 parent：中国科协是根组织，不能有上级") % where)
        if r.channel:
            problem = channel_problem(r.code, r.type, r.channel, type_of.get(r.channel))
            if problem:
                errors.append(_("%(line)s，字段 channel：%(problem)s") % {"line": r.line, "problem": problem})
    reported: set[str] = set()
    for r in rows:
        path_codes: list[str] = []
        node = r.code
        while node and node not in path_codes:
            path_codes.append(node)
            node = parent_of.get(node, "")
        if r.code and node == r.code and r.code not in reported:
            reported.update(path_codes)
            errors.append(
                _("%(line)s，字段 parent：上级关系形成循环：%(cycle)s")
                % {"line": r.line, "cycle": " → ".join([*path_codes, node])}
            )
    roots = sorted(c for c, t in type_of.items() if t == OrgType.CAST)
    if len(roots) > 1:
        # Blame the file's lines that declare a root; an existing root the file keeps is not.
        kept = next((c for c in roots if c in existing and existing[c].type == OrgType.CAST), None)
        lines = [r.line for r in rows if r.type == OrgType.CAST and r.code != kept]
        message = _("只能有一个中国科协根组织，发现 %(n)s 个：%(codes)s") % {
            "n": len(roots),
            "codes": ", ".join(roots),
        }
        if lines:
            message = _("%(line)s，字段 type：%(message)s") % {
                "line": "、".join(lines),
                "message": message,
            }
        errors.append(message)
    if errors:
        raise OrganizationImportError(errors)
    created = updated = 0
    for r in rows:
        org = existing.get(r.code)
        if org is None:
            org = Organization(code=r.code)
            created += 1
        else:
            updated += 1
        org.name, org.type, org.pilot_county = r.name, r.type, r.pilot_county
        if r.legal_person is not None:
            org.legal_person = r.legal_person
        elif org.pk is None:
            org.legal_person = r.type not in NON_LEGAL_PERSON_TYPES
        org.save()
        existing[r.code] = org
    for r in rows:
        org = existing[r.code]
        org.parent = existing[r.parent] if r.parent else None
        fields = ["parent"]
        if r.channel is not None:
            org.channel = existing[r.channel] if r.channel else None
            fields.append("channel")
        org.save(update_fields=fields)
    recompute_recommending_units()
    return {"created": created, "updated": updated}


def channel_problem(code: str, type_: str, channel_code: str, channel_type: str | None) -> str | None:
    """Why ``channel_code`` cannot be the recommending channel of the unit ``code``, or None: it
    must be another, existing recommending unit, and a recommending unit has none (it is its own)."""
    if channel_type is None:
        return _("推荐渠道“%(value)s”不存在") % {"value": channel_code}
    if channel_code == code:
        return _("单位不能以自己为推荐渠道")
    if type_ in RECOMMENDING_TYPES:
        return _("推荐单位本身直接报送中国科协，不设推荐渠道")
    if channel_type not in RECOMMENDING_TYPES:
        return _("推荐渠道“%(value)s”不是推荐单位（全国学会、省级科协、副省级城市科协或兵团科协）") % {
            "value": channel_code
        }
    return None


def recompute_recommending_units() -> list[int]:
    """Store every organization's recommending unit (``accounts.models.recommending_unit_of``:
    itself if a recommending unit, its channel, a provincial society's provincial CAST, else its
    parent's). Called after any change of the tree, of a type or of a channel; returns the ids
    of the organizations whose recommending unit changed. Records keep the recommending unit
    they were created with."""
    orgs = {o.pk: o for o in Organization.objects.all()}
    moved: list[int] = []
    for org in orgs.values():
        unit = recommending_unit_of(org, orgs)
        if org.recommending_unit_id != (unit.pk if unit else None):
            org.recommending_unit = unit
            org.save(update_fields=["recommending_unit"])
            moved.append(org.pk)
    return moved


@transaction.atomic
def member_create(
    *,
    username: str,
    org_code: str,
    role: str,
    password: str | None = None,
    email: str | None = None,
    display_name: str | None = None,
    actor: Any = None,
) -> tuple[User, bool]:
    """Create or update a user and give them ``role`` in the organization ``org_code``.

    Side effects, in order: validates every argument (raising ValidationError listing each
    problem); creates the user or updates the given fields; adds the membership if new.
    Returns (user, created).
    """
    errors: list[str] = []
    username = (username or "").strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
        errors.append(_("用户名“%(u)s”无效：只能包含字母、数字和 @ . + - _，最长 150 个字符") % {"u": username})
    org = Organization.objects.filter(code=org_code).first()
    if org is None:
        errors.append(_("组织代码“%(code)s”不存在") % {"code": org_code})
    if role not in Role.values:
        errors.append(
            _("未知的角色“%(role)s”（可选：%(choices)s）") % {"role": role, "choices": ", ".join(Role.values)}
        )
    elif org is not None and role in (Role.CAST_STAFF, Role.AUDITOR) and org.type != OrgType.CAST:
        errors.append(_("角色“%(role)s”只能属于中国科协") % {"role": role})
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            errors.append(_("电子邮箱“%(email)s”格式不正确") % {"email": email})
    user = User.objects.filter(username=username).first() if username else None
    if password is not None:
        try:
            validate_password(password, user=user or User(username=username))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    created = user is None
    if created:
        user = User(username=username)
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if email is not None:
        user.email = email
    if display_name is not None:
        user.display_name = display_name
    user.save()
    Membership.objects.get_or_create(user=user, organization=org, role=role)
    perms.forget_grants(user)
    return user, created


def user_language_set(user: Any, language: str) -> bool:
    """Keep the interface language the user chose, so that pages and e-mails follow it.

    Side effects: updates ``User.language`` when ``language`` is one of settings.LANGUAGES
    and differs; returns whether it changed.
    """
    from django.conf import settings

    from .models import User

    if language not in {code for code, _name in settings.LANGUAGES} or user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True
