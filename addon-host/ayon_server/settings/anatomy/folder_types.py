from ayon_server.settings.anatomy._item import AnatomyItem


class FolderType(AnatomyItem):
    name: str
    short_name: str = ""
    icon: str = "folder"
