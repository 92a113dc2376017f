"""gen QEMU platform: no packages to install, so PlatformIO never asks the registry."""

from platformio.public import PlatformBase


class GenqemuPlatform(PlatformBase):
    def is_embedded(self):
        return True

    def configure_default_packages(self, variables, targets):
        return super().configure_default_packages(variables, targets)
