"""factory_boy factories for unit-level tests: a round, a unit, a user holding a role in a
unit, a test record. Records of the real types are made through their services or the API
(tests/applications/helpers.py, tests/nominations/helpers.py), never by factories: the
services are what writes their audit trail."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Membership, Organization, OrgType, User
from workflows.models import Round, RoundKind


class RoundFactory(factory.django.DjangoModelFactory):
    """A round of this year open for submissions now (ten days each way), then the reviews."""

    class Meta:
        model = Round

    year = factory.LazyFunction(lambda: timezone.now().year)
    kind = RoundKind.APPLICATION
    title = factory.LazyFunction(lambda: f"测试批次 {Round.objects.count() + 1}")
    submission_opens = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    submission_closes = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    recommender_review_due = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=20))
    cast_review_due = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))
    notice_working_days = 5
    contacts = factory.LazyFunction(
        lambda: [{"name": "王芳", "purpose": "公示异议受理", "phone": "010-68571898", "email": "kjzyfw@cast.org.cn"}]
    )


class OrganizationFactory(factory.django.DjangoModelFactory):
    """A unit; by default a national society (its own recommending unit)."""

    class Meta:
        model = Organization
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"TEST-{n:03d}")
    name = factory.Sequence(lambda n: f"测试单位 {n}")
    type = OrgType.NATIONAL_SOCIETY
    parent = None

    @factory.post_generation
    def unit(self, create: bool, extracted: object, **kwargs: object) -> None:
        """The recommending unit, as the accounts services keep it: the nearest recommending
        ancestor (itself for a national society or a provincial CAST)."""
        self.recommending_unit = self.compute_recommending_unit()
        if create:
            self.save(update_fields=["recommending_unit"])


class UserFactory(factory.django.DjangoModelFactory):
    """An active user who signs in with the demo password."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user_{n:03d}")
    display_name = factory.Sequence(lambda n: f"测试用户{n}")

    @factory.post_generation
    def password(self, create: bool, extracted: object, **kwargs: object) -> None:
        """Signs in with the demo password (or the one given)."""
        self.set_password(extracted or "zhihui-demo")
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    """``role`` held by ``user`` in ``organization`` (each made when not given)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "applicant"


def member(role: str, organization: Organization, **user_fields: object) -> User:
    """A new user holding ``role`` in ``organization``."""
    return MembershipFactory(role=role, organization=organization, user=UserFactory(**user_fields)).user


class DossierFactory(factory.django.DjangoModelFactory):
    """A draft of the test record type, in a round, with the content its flow asks for."""

    class Meta:
        model = "testapp.Dossier"

    title = "乡村科普讲座"
    body = "在徐闻县开展水产养殖技术培训。"
    round = factory.SubFactory(RoundFactory)
