"""The HTML the provider shows a browser (login, consent, errors, form_post), in Simplified Chinese and English."""
