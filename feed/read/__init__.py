"""The read path: home, user and group readers as stages, the follow guard, hydration."""
