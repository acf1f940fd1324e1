"""The user and group models django-scim2 expects: Django's user with the SCIM mixin fields, and
a group with them (django.contrib.auth's Group has no scim_id). The stock adapters read a user's
groups from `scim_groups` and a group's members from `user_set`."""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    name = models.CharField(max_length=254)


class User(AbstractSCIMUserMixin, AbstractUser):
    # AbstractUser.username is unique, so a duplicate userName is an IntegrityError (409).
    scim_groups = models.ManyToManyField(Group, related_name="user_set", blank=True)
