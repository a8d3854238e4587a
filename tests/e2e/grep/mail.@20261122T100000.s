Sun Nov 22 09:59:50 2026 Info: New SMTP ICID 3 interface IncomingMail (127.0.0.1) address 127.0.0.1 reverse dns host unknown verified no
Sun Nov 22 09:59:50 2026 Info: ICID 3 ACCEPT SG UNKNOWNLIST match ALL SBRS not enabled
Sun Nov 22 09:59:50 2026 Info: Start MID 3 ICID 3
Sun Nov 22 09:59:50 2026 Info: MID 3 ICID 3 From: <sender@outside.test>
Sun Nov 22 09:59:50 2026 Info: MID 3 ICID 3 RID 0 To: <r-smtp_550@example.test>
Sun Nov 22 09:59:51 2026 Info: MID 3 Subject 'tdc e2e'
Sun Nov 22 09:59:51 2026 Info: MID 3 ready 365 bytes from <sender@outside.test>
Sun Nov 22 09:59:52 2026 Info: Bounced: DCID 5 MID 3 to RID 0 - 5.1.1 - Bad destination mailbox address ('550', ['<r-smtp_550@example.test>... 5.1.1 User unknown']) []
Sun Nov 22 10:00:00 2026 Info: MID 4 was generated for bounce of MID 3
