Sun Nov 22 09:00:00 2026 Info: New SMTP ICID 90 interface IncomingMail (10.0.0.1) address 192.0.2.9 reverse dns host unknown verified no
Sun Nov 22 09:00:01 2026 Info: ICID 90 ACCEPT SG UNKNOWNLIST match ALL SBRS not enabled
Sun Nov 22 09:00:02 2026 Info: Start MID 90 ICID 90
Sun Nov 22 09:00:03 2026 Info: MID 90 ICID 90 From: <carol@partner.test>
Sun Nov 22 09:00:04 2026 Info: MID 90 ICID 90 RID 0 To: <hr@example.test>
Sun Nov 22 09:00:05 2026 Info: MID 90 Subject "Carol's report"
Sun Nov 22 09:00:06 2026 Info: MID 90 ready 900 bytes from <carol@partner.test>
Sun Nov 22 09:00:07 2026 Info: MID 90 matched all recipients for per-recipient policy DEFAULT in the inbound table
Sun Nov 22 09:00:08 2026 Info: MID 90 queued for delivery
Sun Nov 22 09:00:09 2026 Info: ICID 90 close
Sun Nov 22 09:00:10 2026 Info: New SMTP DCID 90 interface 10.0.0.1 address 203.0.113.9 port 25
Sun Nov 22 09:00:11 2026 Info: Delivery start DCID 90 MID 90 to RID [0]
Sun Nov 22 09:00:12 2026 Info: Message done DCID 90 MID 90 to RID [0]
Sun Nov 22 09:00:13 2026 Info: MID 90 RID [0] Response 'queued as 90'
Sun Nov 22 09:00:14 2026 Info: Message finished MID 90 done
Sun Nov 22 09:00:15 2026 Info: DCID 90 close
