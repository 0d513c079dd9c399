"""Who sends mail and what kind of mail it is: organisations and names of people
(identity), lists, bounces, notices and other automatic senders (mail_kind). Used by the
sender and thread checks, the link checks, the settings and the audit's folder findings.
"""
