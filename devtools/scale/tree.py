"""The organization tree and the people of the scale seed.

Codes start with ``SC-`` and are made in a fixed order, so a second run (another round)
finds the organizations and users of the first and adds only what it needs beyond them:

* ``SC-P44`` 广东省科协 (provincial CAST, 31 of them) → ``SC-P44-C03`` a city CAST →
  ``SC-P44-C03-X07`` a county CAST (the pilot counties apply for “助力新时代文明实践中心建设”);
* ``SC-NS012`` a national society (全国学会) → ``SC-NS012-B05`` a branch (分支机构) and
  ``SC-NS012-P44`` a provincial society (省级学会): both apply for “学会科技志愿服务基层行”,
  recommended by their national society.

Each applicant organization has one applicant; each recommending unit (national society,
provincial CAST) two society reviewers and a content reviewer; CAST (the existing root, or a
new ``CAST``) staff, content reviewers and experts. Every seeded user signs in with the demo
password (one hash computed once); usernames are the organization code in lower case with
the role, e.g. ``sc-p44-reviewer1``.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Membership, Organization, OrgType, Role, User

from . import texts

CITY_COUNTIES = 12  # county CASTs per city before a new city is opened
NO_REGION = ("", "", "")


@dataclass(eq=False)
class Org:
    code: str
    name: str
    type: str
    parent: Org | None
    pilot: bool = False
    # province, city, county names: where its projects serve
    region: tuple[str, str, str] = NO_REGION
    obj: Organization | None = None
    unit: Org | None = None  # recommending unit (itself for a reviewing unit)
    users: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def pk(self) -> int:
        assert self.obj is not None
        return self.obj.pk


class Tree:
    """Plans organizations as the records need them, then writes the missing ones in bulk."""

    def __init__(self, *, provinces: int, societies: int):
        self.existing = {o.code: o for o in Organization.objects.filter(code__startswith="SC-")}
        root = Organization.objects.filter(type=OrgType.CAST, parent__isnull=True).order_by("pk").first()
        if root is None:
            root = Organization.objects.create(code="CAST", name="中国科协", type=OrgType.CAST)
        self.root = Org(root.code, root.name, OrgType.CAST, None, obj=root)
        self.planned: list[Org] = []
        self.provinces = [self._plan_province(code, name) for code, name in texts.PROVINCES[:provinces]]
        self.societies = [self._plan_society(i) for i in range(societies)]
        self._cities: dict[str, list[Org]] = {p.code: [] for p in self.provinces}
        self._counties: dict[str, int] = {}
        self._branches: dict[str, int] = {}
        self._provincial_societies: dict[str, int] = {}
        self._next_province = 0
        self._next_society = 0
        # Applicant organizations per sub-project: free for a new live application, and all.
        self.free: dict[str, deque[Org]] = {
            "integrate": deque([*self.provinces, *self.societies]),
            "grassroots": deque(self.societies),
            "civilization_centre": deque(),
        }
        self.applicants: list[Org] = []  # every organization that has an applicant
        for org in [*self.provinces, *self.societies]:
            self.applicants.append(org)

    # -- planning -------------------------------------------------------------------------

    def _plan(self, code: str, name: str, type_: str, parent: Org, **kw: Any) -> Org:
        org = Org(code, name, type_, parent, obj=self.existing.get(code), **kw)
        org.unit = org if type_ in (OrgType.NATIONAL_SOCIETY, OrgType.PROVINCIAL_CAST) else parent.unit
        self.planned.append(org)
        return org

    def _plan_province(self, code: str, name: str) -> Org:
        short = name.removesuffix("省").removesuffix("市")
        rng = random.Random(f"SC-P{code}")
        region = (name, texts.place_name(rng, "市"), texts.place_name(rng, "县"))
        return self._plan(
            f"SC-P{code}",
            f"{short}科协" if name.endswith(("省", "市")) else f"{name}科协",
            OrgType.PROVINCIAL_CAST,
            self.root,
            region=region,
        )

    def _plan_society(self, index: int) -> Org:
        code = f"SC-NS{index + 1:03d}"
        rng = random.Random(code)
        province = rng.choice(texts.PROVINCES)[1]
        region = (province, texts.place_name(rng, "市"), texts.place_name(rng, "县"))
        return self._plan(code, texts.society_name(index), OrgType.NATIONAL_SOCIETY, self.root, region=region)

    def new_applicant(self, subproject: str) -> Org | None:
        """A new organization that may apply for the sub-project (None for “integrate”:
        only the reviewing units themselves apply for it)."""
        if subproject == "civilization_centre":
            org = self._new_county()
        elif subproject == "grassroots":
            org = self._new_society_member()
        else:
            return None
        self.applicants.append(org)
        return org

    def _new_county(self) -> Org:
        province = self.provinces[self._next_province % len(self.provinces)]
        self._next_province += 1
        cities = self._cities[province.code]
        if not cities or self._counties[cities[-1].code] >= CITY_COUNTIES:
            code = f"{province.code}-C{len(cities) + 1:02d}"
            city_name = texts.place_name(random.Random(code), "市")
            city = self._plan(
                code, f"{city_name}科协", OrgType.CITY_CAST, province, region=(province.region[0], city_name, "")
            )
            cities.append(city)
            self._counties[code] = 0
        city = cities[-1]
        self._counties[city.code] += 1
        code = f"{city.code}-X{self._counties[city.code]:02d}"
        county_name = texts.place_name(random.Random(code), "县")
        return self._plan(
            code,
            f"{county_name}科协",
            OrgType.COUNTY_CAST,
            city,
            pilot=True,
            region=(province.region[0], city.region[1], county_name),
        )

    def _new_society_member(self) -> Org:
        society = self.societies[self._next_society % len(self.societies)]
        index = self._next_society % len(self.societies)
        self._next_society += 1
        made = self._provincial_societies.get(society.code, 0)
        branches = self._branches.get(society.code, 0)
        field_name = texts.society_field(index)
        if made < len(self.provinces) and made <= branches:
            province_code, province = texts.PROVINCES[made]
            self._provincial_societies[society.code] = made + 1
            code = f"{society.code}-P{province_code}"
            rng = random.Random(code)
            region = (province, texts.place_name(rng, "市"), texts.place_name(rng, "县"))
            return self._plan(code, f"{province}{field_name}学会", OrgType.PROVINCIAL_SOCIETY, society, region=region)
        self._branches[society.code] = branches + 1
        kind = texts.BRANCH_KINDS[branches % len(texts.BRANCH_KINDS)]
        suffix = f"（第{branches // len(texts.BRANCH_KINDS) + 1}）" if branches >= len(texts.BRANCH_KINDS) else ""
        code = f"{society.code}-B{branches + 1:03d}"
        rng = random.Random(code)
        province = rng.choice(texts.PROVINCES)[1]
        region = (province, texts.place_name(rng, "市"), texts.place_name(rng, "县"))
        return self._plan(code, f"{society.name}{kind}{suffix}", OrgType.SOCIETY_BRANCH, society, region=region)

    # -- writing --------------------------------------------------------------------------

    def write(self, *, experts: int, inserter: Any) -> dict[str, int]:
        """Create the planned organizations that do not exist yet (parents first), then the
        users and memberships that are missing. Returns counts of what was created."""
        created = {"organizations": 0, "users": 0, "memberships": 0}
        by_depth: dict[int, list[Org]] = {}
        for org in self.planned:
            depth, node = 0, org
            while node.parent is not None:
                depth, node = depth + 1, node.parent
            by_depth.setdefault(depth, []).append(org)
        for depth in sorted(by_depth):
            missing = [o for o in by_depth[depth] if o.obj is None]
            rows = [
                Organization(
                    code=o.code,
                    name=o.name,
                    type=o.type,
                    parent_id=o.parent.pk if o.parent else None,
                    pilot_county=o.pilot,
                    recommending_unit_id=o.unit.pk if o.unit is not None and o.unit is not o else None,
                )
                for o in missing
            ]
            inserter.insert(Organization, rows)
            for org, row in zip(missing, rows, strict=True):
                org.obj = row
            own = [o.obj for o in missing if o.unit is o]
            for row in own:
                row.recommending_unit_id = row.pk
            Organization.objects.bulk_update(own, ["recommending_unit"], batch_size=inserter.batch)
            created["organizations"] += len(rows)

        password = make_password(settings.DEMO_PASSWORD)
        wanted: list[tuple[str, str, Org, str]] = []  # username, display name, organization, role
        cast = self.root
        for i in range(1, 4):
            wanted.append((f"sc-cast-staff{i}", f"{_person(f'staff{i}')}（中国科协）", cast, Role.CAST_STAFF))
        for i in range(1, 3):
            wanted.append(
                (f"sc-cast-content{i}", f"{_person(f'content{i}')}（中国科协内容审核）", cast, Role.CONTENT_REVIEWER)
            )
        for i in range(1, experts + 1):
            wanted.append((f"sc-expert{i:03d}", f"{_person(f'expert{i}')}（评审专家）", cast, Role.EXPERT))
        units = [*self.provinces, *self.societies]
        for unit in units:
            for i in (1, 2):
                wanted.append(
                    (
                        f"{unit.code.lower()}-reviewer{i}",
                        f"{_person(unit.code + str(i))}（{unit.name}）",
                        unit,
                        Role.SOCIETY_REVIEWER,
                    )
                )
            wanted.append(
                (
                    f"{unit.code.lower()}-content",
                    f"{_person(unit.code + 'c')}（{unit.name}内容审核）",
                    unit,
                    Role.CONTENT_REVIEWER,
                )
            )
        for org in self.applicants:
            wanted.append(
                (f"{org.code.lower()}-applicant", f"{_person(org.code + 'a')}（{org.name}）", org, Role.APPLICANT)
            )

        names = [w[0] for w in wanted]
        users = {u.username: u for u in _in_chunks(User.objects, "username", names)}
        new_users = []
        for username, display, _org, _role in wanted:
            if username not in users:
                user = User(
                    username=username,
                    display_name=display[:100],
                    email=f"{username}@scale.zhihui.local",
                    password=password,
                )
                users[username] = user
                new_users.append(user)
        inserter.insert(User, new_users)
        created["users"] = len(new_users)
        have = set(
            Membership.objects.filter(user__username__startswith="sc-").values_list(
                "user_id", "organization_id", "role"
            )
        )
        memberships = []
        now = timezone.now()
        for username, _display, org, role in wanted:
            user = users[username]
            org.users.setdefault(role, []).append(user)
            if (user.pk, org.pk, role) not in have:
                memberships.append(Membership(user=user, organization_id=org.pk, role=role, created_at=now))
        inserter.insert(Membership, memberships, ids=False)
        created["memberships"] = len(memberships)
        self.cast_staff = cast.users[Role.CAST_STAFF][:3]
        self.cast_content = cast.users[Role.CONTENT_REVIEWER][:2]
        self.experts = [u for u in cast.users[Role.EXPERT] if u.username.startswith("sc-expert")]
        # The grants cache of ``accounts.permissions``: every seeded user has exactly these.
        return created


def _person(seed: str) -> str:
    return texts.person(random.Random(seed))


def _in_chunks(manager: Any, field_name: str, values: list[str], size: int = 5000) -> list[Any]:
    found = []
    for start in range(0, len(values), size):
        found.extend(manager.filter(**{f"{field_name}__in": values[start : start + size]}))
    return found
