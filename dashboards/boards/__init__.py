"""The five boards, in the order the README lists them."""

from dashboards.boards.candor import BOARD as CANDOR
from dashboards.boards.incidents import BOARD as INCIDENTS
from dashboards.boards.signals import BOARD as SIGNALS
from dashboards.boards.slos import BOARD as SLOS
from dashboards.boards.verification import BOARD as VERIFICATION

BOARDS = (SIGNALS, INCIDENTS, VERIFICATION, SLOS, CANDOR)

__all__ = ["BOARDS"]
