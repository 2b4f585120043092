"""factory_boy factories. Organisations and memberships go through the services, so every
test object has its auth Group and group membership exactly as production creates them."""

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.otp import totp_device_create
from partners.models import Membership, Organisation, OrganisationKind
from partners.roles import Role
from partners.services import _sync_group

PASSWORD = "Correct-horse-battery-9"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_code = factory.Sequence(lambda n: f"org-{n}")
    kind = OrganisationKind.POLICE
    country = "NL"
    desk_name = "24/7 desk"
    desk_phone = "+31 88 000 0000"
    desk_email = factory.LazyAttribute(lambda o: f"desk@{o.short_code}.example")
    group = factory.LazyAttribute(lambda o: Group.objects.create(name=f"org:{o.short_code}"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        """A confirmed authenticator device unless ``totp=False``."""
        if create and extracted is not False:
            device = totp_device_create(user=self)
            device.confirmed = True
            device.save(update_fields=["confirmed"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.LIAISON

    @factory.post_generation
    def sync_group(self, create, extracted, **kwargs):
        if create:
            _sync_group(user=self.user, organisation=self.organisation)
