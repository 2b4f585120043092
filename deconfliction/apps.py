from django.apps import AppConfig


class DeconflictionConfig(AppConfig):
    name = "deconfliction"
    verbose_name = "Deconfliction"
