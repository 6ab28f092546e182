from ayon_server.settings.anatomy._item import AnatomyItem

ALL_ENTITY_TYPES = ["folder", "task", "product", "version", "representation", "workfile"]


class Status(AnatomyItem):
    name: str
    short_name: str = ""
    state: str = "not_started"
    icon: str = ""
    color: str = "#9e9e9e"
    scope: list[str] = ALL_ENTITY_TYPES
