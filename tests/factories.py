"""factory_boy factories writing through the app's session (for data the API does not create directly)."""

from __future__ import annotations

import datetime as dt

import factory

from backend.auth.models import User
from backend.coocook.models import Booking, Chef, Review
from backend.products.models import Product

SESSION = None  # set by the `db` fixture: a plain Session on the app's engine


def _session():
    assert SESSION is not None, "use the `db` fixture to create factory objects"
    return SESSION


class Base(factory.alchemy.SQLAlchemyModelFactory):
    """Commit each object so the app's requests (other sessions, other threads) see it."""

    class Meta:
        abstract = True
        sqlalchemy_session_factory = _session
        sqlalchemy_session_persistence = "commit"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password_hash = "not-a-login"  # users made here sign in through tokens issued by the service
    name = factory.Sequence(lambda n: f"Person {n}")
    role = "user"


class ChefFactory(Base):
    class Meta:
        model = Chef

    name = factory.Sequence(lambda n: f"Chef {n}")
    bio = "Cooks."
    cuisine_type = factory.Iterator(["italian", "korean", "french"])
    location = factory.Iterator(["Seoul", "Paris", "Rome"])
    price_per_session = factory.Sequence(lambda n: 50.0 + n)
    rating = 0.0
    rating_count = 0
    is_active = True
    booking_count = 0


class BookingFactory(Base):
    class Meta:
        model = Booking

    user_id = factory.LazyFunction(lambda: UserFactory().id)
    chef_id = factory.LazyFunction(lambda: ChefFactory().id)
    date = factory.Sequence(lambda n: dt.date.today() + dt.timedelta(days=1 + n))
    slot = "dinner"
    guests = 2
    status = "pending"
    price = 100.0


class ReviewFactory(Base):
    class Meta:
        model = Review

    rating = 5
    comment = "Great."


class ProductFactory(Base):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Plan {n}")
    description = "A plan."
    price = factory.Sequence(lambda n: 10.0 + n)
    interval = "month"
    features = factory.LazyFunction(lambda: ["a", "b"])
