"""The portal's tables, one module per aggregate; importing this package registers them all."""

from .audit import AuditLog  # noqa: F401
from .company import Association, Certification, Company, CompanyCapability, Invitation  # noqa: F401
from .engagement import (  # noqa: F401
    AlertFrequency,
    AlertSent,
    Attachment,
    Conversation,
    ConversationState,
    Interest,
    InterestStatus,
    Meeting,
    MeetingStatus,
    Message,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    SavedSearch,
)
from .insight import ApiToken, InsightSnapshot, TradeFigure  # noqa: F401
from .jobs import JobRun  # noqa: F401
from .listing import (  # noqa: F401
    Direction,
    Listing,
    ListingFlag,
    ListingHsHeading,
    ListingMonth,
    ListingRevision,
    ListingStatus,
    ListingTag,
    ListingType,
)
from .match import MatchNotice  # noqa: F401
from .search import SearchCursor, SearchJournal  # noqa: F401
from .taxonomy import TaxonomyTerm  # noqa: F401
from .user import LoginFailure, Notification, OutboxMessage, RateLimitCounter, Role, User  # noqa: F401
