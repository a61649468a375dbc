"""The login lockout check: django-axes refuses logins for a locked-out user name and address."""

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check for logins over HTTP.

    Every login form (the admin's included) authenticates with the request.
    A login without one (`Client.login` in tests, a script in the shell) has
    no client address to count failures against, so it is left to the next
    backend instead of being refused as django-axes does.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
