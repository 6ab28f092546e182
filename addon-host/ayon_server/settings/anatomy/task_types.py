from ayon_server.settings.anatomy._item import AnatomyItem


class TaskType(AnatomyItem):
    name: str
    short_name: str = ""
    color: str = "#5c6bc0"
    icon: str = "task_alt"
