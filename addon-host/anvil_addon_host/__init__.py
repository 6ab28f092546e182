"""Anvil's addon host: loads one AYON addon version's server code in its own process and
exports what Anvil stores about it (class metadata, settings schemas and defaults, enum tags).

Run as `python3 -m anvil_addon_host export --dir D --name N --version V`; the contract with
Anvil's C# side is in docs (addons contract §3).
"""

HOST_VERSION = "anvil-addon-host 1"
