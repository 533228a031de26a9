"""Interactive widgets of the course book (anywidget; logic in each widget's ES module).

They render in the static book from saved state and work live in JupyterLab and Notebook 7.
Nothing a learner enters leaves the browser.
"""

from allyship.widgets._base import WidgetContentError
from allyship.widgets.activities import (
    ActionSort,
    CommitmentsTracker,
    MindsetCheckin,
    PhraseBuilder,
    ScenarioExplorer,
    TalkTimeSimulator,
)
from allyship.widgets.journal import Journal, JournalError

__all__ = [
    "ActionSort",
    "CommitmentsTracker",
    "Journal",
    "JournalError",
    "MindsetCheckin",
    "PhraseBuilder",
    "ScenarioExplorer",
    "TalkTimeSimulator",
    "WidgetContentError",
]
