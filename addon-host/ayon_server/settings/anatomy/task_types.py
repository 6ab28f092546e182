from ayon_server.settings.anatomy._item import AnatomyItem
from ayon_server.settings.anatomy.builtin import builtin_anatomy


class TaskType(AnatomyItem):
    name: str
    short_name: str = ""
    color: str = "#5c6bc0"
    icon: str = "task_alt"


# Older addons (kitsu 1.0) build their anatomy from this list.
default_task_types = [TaskType(**item) for item in builtin_anatomy()["task_types"]]
