from ayon_server.settings.anatomy._item import AnatomyItem


class LinkType(AnatomyItem):
    link_type: str
    input_type: str
    output_type: str
    color: str = "#9e9e9e"
    style: str = "solid"
