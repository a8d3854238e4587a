Sun Nov 22 10:00:00 2026 Info: New SMTP ICID 1 interface IncomingMail (10.0.0.1) address 192.0.2.1 reverse dns host unknown verified no
Sun Nov 22 10:00:01 2026 Info: ICID 1 ACCEPT SG UNKNOWNLIST match ALL SBRS not enabled
Sun Nov 22 10:00:02 2026 Info: Start MID 1 ICID 1
Sun Nov 22 10:00:03 2026 Info: MID 1 ICID 1 From: <alice@outside.test>
Sun Nov 22 10:00:04 2026 Info: MID 1 ICID 1 RID 0 To: <a@sales.example.test>
Sun Nov 22 10:00:05 2026 Info: MID 1 ICID 1 RID 1 To: <b@example.test>
Sun Nov 22 10:00:06 2026 Info: MID 1 Subject 'Quarterly report'
Sun Nov 22 10:00:07 2026 Info: MID 1 ready 1000 bytes from <alice@outside.test>
Sun Nov 22 10:00:08 2026 Info: MID 1 matched all recipients for per-recipient policy sales in the inbound table
Sun Nov 22 10:00:09 2026 Info: MID 1 was split creating MID 2 due to a per-recipient policy DEFAULT in the inbound table
Sun Nov 22 10:00:10 2026 Info: MID 2 matched all recipients for per-recipient policy DEFAULT in the inbound table
Sun Nov 22 10:00:11 2026 Info: TDC: MID 3 was generated based on MID 1 for policy sales
Sun Nov 22 10:00:12 2026 Info: Start MID 5 ICID 1
Sun Nov 22 10:00:13 2026 Info: MID 5 ICID 1 From: <bob@outside.test>
Sun Nov 22 10:00:14 2026 Info: MID 5 ICID 1 RID 0 To: <c@example.test>
Sun Nov 22 10:00:15 2026 Info: MID 5 Subject 'Lunch'
Sun Nov 22 10:00:16 2026 Info: ICID 1 close
Sun Nov 22 10:00:17 2026 Info: New SMTP DCID 1 interface 10.0.0.1 address 203.0.113.5 port 25
