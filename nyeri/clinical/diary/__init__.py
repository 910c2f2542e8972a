"""The patient diary: private, expiring links through which a patient records their own pain.

``tokens`` makes and reads the links, ``services`` issues and revokes them and records the
patient's entries (pain assessments with source *patient*), ``selectors`` reads them,
``views`` serves the staff page and the patient's phone page, ``api`` the JSON endpoints.
See docs/diary.md.
"""
