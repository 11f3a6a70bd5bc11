"""The shapes of an instrument: items with their allowed answers, score bands, subscales and codes.

Pure data (stdlib only). :mod:`naltrack.instruments.definitions` holds the instruments themselves and
:mod:`naltrack.instruments.scoring` scores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from naltrack.errors import InvalidInput


@dataclass(frozen=True)
class Item:
    """One item: its allowed answers (discrete points, each with its answer wording) or a continuous range."""

    link_id: str
    label: str
    allowed: tuple[float, ...] = ()
    option_labels: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    reverse: bool = False
    skipped_when: tuple[str, float] | None = None
    """``(link_id, answer)``: the item is not asked, and scores 0, when that earlier item has that answer
    (BAM item 5 after 0 days of drinking); it may then be left out or answered 0."""
    number: str = ""
    """The item's number on the printed form where it is not its place in the list (the BAM's ``7A``)."""

    def __post_init__(self) -> None:
        if len(self.option_labels) != len(self.allowed):
            raise InvalidInput(f"{self.link_id}.option_labels", len(self.option_labels),
                               f"must word each of the {len(self.allowed)} options")

    @property
    def is_continuous(self) -> bool:
        return not self.allowed

    @property
    def max_points(self) -> float:
        if self.is_continuous:
            return float(self.high or 0.0)
        return max(self.allowed)


@dataclass(frozen=True)
class Band:
    """A named score range, ``low <= total <= high``: ``name`` is stored, ``label`` is what clinicians read."""

    name: str
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Subscale:
    """A score summed over some items, and the range that calls for attention (a flag).

    ``concern_from`` flags a score at or above it (more is worse); ``concern_up_to`` flags a score at or
    below it (more is better).
    """

    name: str
    label: str
    link_ids: tuple[str, ...]
    flag: str
    concern_from: float | None = None
    concern_up_to: float | None = None

    def is_concern(self, value: float) -> bool:
        """Whether ``value`` is in the range the instrument calls clinically significant."""
        high = self.concern_from is not None and value >= self.concern_from
        low = self.concern_up_to is not None and value <= self.concern_up_to
        return high or low


@dataclass(frozen=True)
class Instrument:
    """An instrument: items, bands (by sex when the cut-offs differ) and its codes."""

    id: str
    """Lower case with its hyphen (``phq-9``), stored with each scored response; :func:`get_instrument` finds it,
    and each of :attr:`aliases`, in any case and with or without punctuation."""
    title: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    """The score bands. When :attr:`bands_female` is not empty it replaces them for every patient not
    recorded as male (the AUDIT-C cut-offs differ by sex)."""
    source: str
    bands_female: tuple[Band, ...] = ()
    total_loinc: str | None = None
    """LOINC of the total score (and :attr:`panel_loinc` of the whole panel); ``None`` where LOINC has
    none, as :attr:`code_note` says."""
    panel_loinc: str | None = None
    code_note: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    subscales: tuple[Subscale, ...] = ()
    """Scores over parts of the items, each with its own cut-off (the BAM's use, risk and protective scores)."""
    total_subscale: str | None = None
    """For an instrument without a summed total: the subscale whose score is stored as the total."""

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def max_total(self) -> float:
        return sum(i.max_points for i in self.items)

    def subscale_max(self, subscale: Subscale) -> float:
        """The highest score ``subscale`` can reach (the BAM's use 12, risk and protective 24)."""
        return sum(item.max_points for item in self.items if item.link_id in subscale.link_ids)

    def band_label(self, name: str) -> str:
        """The plain label of the band stored as ``name`` (``name`` itself for a band this instrument lacks)."""
        return next((b.label for b in self.bands + self.bands_female if b.name == name), name)
