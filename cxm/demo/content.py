"""What the demo company's customers and staff say: names, places, products and texts.

Plain data for ``generator.py``. Every phone number the demo hands out comes from
the ranges Ofcom keeps for TV and radio drama, so no real subscriber is ever
texted or rung by mistake; every email domain is reserved for examples
(RFC 2606).
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COMPANY = "Northvale Telecom"
SOCIAL_HANDLE = "@NorthvaleCare"

FIRST_NAMES = _words(
    """
    Ann Tom Priya James Olivia Mohammed Sophie Daniel Aisha Jack Emily Harry Grace Oliver
    Chloe Liam Fatima George Hannah Samuel Zara William Megan Joseph Ellie Thomas Amelia
    Ryan Lucy Adam Isla Connor Niamh Ravi Jessica Kieran Laura Bilal Rebecca Callum Katie
    Ethan Holly Nathan Rachel Marcus Siobhan Ibrahim Charlotte Dylan Yasmin Owen Freya Luke
    Imogen Patrick Sana Michael Jade Craig Alice Declan Nadia Stephen Bethany Gareth Maryam
    Peter Kirsty Tariq Victoria Neil Eilidh Andrew Leah Kwame Joanne Dominic Harriet Arjun
    Margaret Colin Agnieszka Pawel Shirley Barry Mei Wei Deborah Graham Bukola Tunde Eleanor
    Keith Anjali Rhys Sinead Hamza Janet Brian
    """
)

SURNAMES = _words(
    """
    Lee Smith Patel Jones Williams Taylor Brown Khan Davies Evans Wilson Thomas Johnson
    Roberts Walker Wright Robinson Thompson White Hughes Edwards Green Hall Wood Harris Ali
    Lewis Martin Jackson Clarke Clark Turner Hill Scott Cooper Morris Ward Moore King Watson
    Baker Harrison Morgan Hussain Young Allen Mitchell Anderson Kelly Begum Shah Murphy Bell
    Ahmed Parker Bennett Chapman Kaur Singh Sutcliffe Ackroyd Holroyd Nowak Kowalski Okafor
    Adeyemi Chen Wong Nguyen O'Brien McDonald Campbell Stewart Fraser Reid Gallagher Doyle
    Byrne Haworth Greenwood Butterworth Barraclough Hirst Brooke Pickles Firth Atkinson
    Dobson Mensah Rahman Iqbal Mahmood Fletcher Marsden Crowther Oldroyd Whiteley Sykes
    Lockwood
    """
)

# What another system may call a customer whose CRM record has the full name
# (each pair known to the nicknames list the match model reads).
NICKNAMES = {
    "William": "Bill", "Thomas": "Tommy", "James": "Jim", "Samuel": "Sam", "Joseph": "Joe",
    "Daniel": "Dan", "Michael": "Mike", "Andrew": "Andy", "Stephen": "Steve", "Peter": "Pete",
    "Rebecca": "Becky", "Margaret": "Peggy", "Victoria": "Vicky", "Jessica": "Jess",
    "Patrick": "Pat", "Nathan": "Nate", "Dominic": "Dom", "Deborah": "Debbie",
    "Eleanor": "Nell", "Oliver": "Ollie", "Harriet": "Hattie", "Joanne": "Jo",
    "Janet": "Jan", "Amelia": "Millie", "Megan": "Meg", "Harry": "Hal",
}  # fmt: skip

# The last part of a postcode: a sector digit, then two letters of these.
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

PERSONAL_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")


@dataclass(frozen=True)
class Town:
    name: str
    # Ofcom drama range: the first digits of the 1,000 numbers kept for this area.
    phone_prefix: str
    districts: tuple[str, ...]
    store: str


TOWNS = (
    Town(
        "Leeds",
        "01134960",
        ("LS1", "LS6", "LS7", "LS8", "LS11", "LS12", "LS17"),
        "Northvale Store, Briggate, Leeds",
    ),
    Town(
        "Sheffield",
        "01144960",
        ("S1", "S2", "S6", "S7", "S10", "S11"),
        "Northvale Store, Fargate, Sheffield",
    ),
    Town(
        "Manchester",
        "01614960",
        ("M1", "M4", "M14", "M16", "M20", "M21"),
        "Northvale Store, Market Street, Manchester",
    ),
    Town(
        "Liverpool",
        "01514960",
        ("L1", "L4", "L8", "L15", "L17", "L18"),
        "Northvale Store, Church Street, Liverpool",
    ),
    Town(
        "Newcastle",
        "01914980",
        ("NE1", "NE2", "NE3", "NE4", "NE6"),
        "Northvale Store, Northumberland Street, Newcastle",
    ),
)
TOWN_WEIGHTS = (30, 20, 22, 16, 12)

# Drama ranges outside the five towns: second numbers and overflow.
OTHER_PHONE_PREFIXES = (
    "01164960",
    "01174960",
    "01184960",
    "01214960",
    "01314960",
    "01414960",
    "02896496",
    "02920180",
    "02079460",
)

RESIDENTIAL_PLANS = (
    ("Broadband Essentials 36", 24.0, 36),
    ("Fibre 150", 29.0, 150),
    ("Fibre 500", 35.0, 500),
    ("Full Fibre 900", 45.0, 900),
    ("Fibre 150 + Home Phone", 36.0, 150),
    ("Fibre 500 + Home Phone", 42.0, 500),
)
RESIDENTIAL_PLAN_WEIGHTS = (8, 30, 28, 12, 14, 8)
BUSINESS_PLANS = (
    ("Business Fibre 500", 55.0, 500),
    ("Business Full Fibre 1000 + Static IP", 85.0, 1000),
    ("Leased Line 1G", 420.0, 1000),
    ("Business Fibre 500 + Hosted Voice (5 seats)", 95.0, 500),
    ("SIP Trunk (10 channels) + Business Fibre 500", 140.0, 500),
)
BUSINESS_PLAN_WEIGHTS = (35, 25, 8, 20, 12)
ROUTERS = ("Northvale Hub 2", "Northvale Hub 3", "Northvale Hub 3", "Northvale Smart Hub 6")

COMPANY_PLACES = (
    "Calder",
    "Aire",
    "Wharfe",
    "Don",
    "Mersey",
    "Tyne",
    "Pennine",
    "Kirkstall",
    "Headingley",
    "Roundhay",
    "Ancoats",
    "Jesmond",
    "Anfield",
    "Hillsborough",
    "Chorlton",
    "Didsbury",
    "Gosforth",
    "Ecclesall",
    "Aigburth",
    "Heaton",
    "Meanwood",
    "Crookes",
    "Wavertree",
    "Byker",
    "Armley",
    "Fallowfield",
    "Northern Quarter",
    "Baltic",
    "Ouseburn",
    "Kelham",
)
COMPANY_TRADES = (
    ("Joinery Ltd", "joinery"),
    ("Dental Practice", "dental"),
    ("Accountants LLP", "accounts"),
    ("Veterinary Centre", "vets"),
    ("Bakery", "bakery"),
    ("Architects", "architects"),
    ("Solicitors", "law"),
    ("Motors", "motors"),
    ("Plumbing & Heating", "plumbing"),
    ("Physiotherapy", "physio"),
    ("Coffee House", "coffee"),
    ("Lettings", "lettings"),
    ("Print Works", "print"),
    ("Brewing Co", "brewing"),
    ("Florists", "flowers"),
    ("Opticians", "optics"),
    ("Pharmacy", "pharmacy"),
    ("Design Studio", "design"),
)
JOB_TITLES = (
    "Office Manager",
    "Director",
    "Practice Manager",
    "IT Lead",
    "Operations Manager",
    "Owner",
    "Finance Manager",
    "Partner",
)

AGENTS = (
    "Priya S",
    "Tom W",
    "Gemma R",
    "Callum B",
    "Aisha K",
    "Dan M",
    "Ruth H",
    "Sam O",
    "Jordan P",
    "Kerry A",
    "Imran N",
    "Becky L",
    "Lewis F",
    "Hollie D",
    "Marek Z",
    "Shauna C",
    "Adil R",
    "Jo T",
    "Nathan G",
    "Chantelle E",
    "Owen J",
    "Fiona Mc",
    "Hassan Y",
    "Lauren V",
    "Mick S",
    "Tasha B",
    "Ellis Q",
    "Ruby N",
)
ENGINEERS = (
    "Dave (engineer 114)",
    "Asif (engineer 207)",
    "Karen (engineer 088)",
    "Steve (engineer 156)",
    "Jamal (engineer 231)",
    "Lee (engineer 045)",
    "Paula (engineer 172)",
    "Gary (engineer 119)",
    "Tomasz (engineer 264)",
)
SLOTS = ("8am-1pm", "1pm-6pm", "8am-12pm", "12pm-4pm", "all day")
OUTAGE_CAUSES = (
    "a fibre cable cut during roadworks",
    "a power failure at the local exchange",
    "storm damage to overhead lines",
    "a faulty card in the street cabinet",
    "a flooded cable chamber",
    "a software fault on a core router",
)


@dataclass(frozen=True)
class Topic:
    """What one kind of conversation sounds like on every channel."""

    key: str
    label: str
    queue: str
    subjects: tuple[str, ...]
    opening: tuple[str, ...]
    detail: tuple[str, ...]
    reply: tuple[str, ...]
    follow_up: tuple[str, ...]
    close: tuple[str, ...]
    call_notes: tuple[str, ...]
    social: tuple[str, ...]
    business_only: bool = False


TOPICS: dict[str, Topic] = {}


def _topic(
    *,
    key: str,
    label: str,
    queue: str,
    subjects: list[str],
    opening: list[str],
    detail: list[str],
    reply: list[str],
    follow_up: list[str],
    close: list[str],
    call_notes: list[str],
    social: list[str],
    business_only: bool = False,
) -> None:
    TOPICS[key] = Topic(
        key=key,
        label=label,
        queue=queue,
        subjects=tuple(subjects),
        opening=tuple(opening),
        detail=tuple(detail),
        reply=tuple(reply),
        follow_up=tuple(follow_up),
        close=tuple(close),
        call_notes=tuple(call_notes),
        social=tuple(social),
        business_only=business_only,
    )


_topic(
    key="router_drops",
    label="Router keeps dropping",
    queue="Broadband faults",
    subjects=[
        "Router keeps dropping",
        "Internet cutting out every evening",
        "Connection drops several times a day",
        "Wi-Fi disconnects constantly",
    ],
    opening=[
        "My broadband keeps dropping out, usually in the evenings.",
        "The internet has been cutting out several times a day since {day}.",
        "Our router loses connection every hour or so and the light goes orange.",
        "The connection keeps dropping whenever I'm on a video call.",
        "The router has been restarting itself all week.",
    ],
    detail=[
        "I've restarted the {router} a few times; it comes back for a while, then drops again.",
        "I work from home so this is causing real problems.",
        "The kids can't do their homework and I keep losing calls.",
        "I've already tried a different cable and plugging it straight into the master socket.",
    ],
    reply=[
        "Thanks for getting in touch, {first}. I've run a line test and can see the connection "
        "dropping overnight. I've reset the line profile from our side; please leave the router "
        "on for 48 hours so it can settle.",
        "Sorry about this, {first}. The tests show a fault between the cabinet and your home, so "
        "I've booked an engineer for {date}, {slot}.",
        "I can see your {router} is on old firmware. I've pushed an update tonight; if it still "
        "drops after that we'll send you a replacement router.",
        "Sorry for the trouble. What colour is the broadband light when it drops? That tells us "
        "whether it's the line or the router.",
    ],
    follow_up=[
        "It's still dropping, about three times last night.",
        "Thanks, that seems to have done it. No drops since yesterday.",
        "The light goes red when it happens.",
        "Could the engineer come in the afternoon instead?",
    ],
    close=[
        "Glad it's stable now, {first}. I'll keep an eye on the line for a week and close this "
        "off if all stays well.",
        "Thanks, {first}. A replacement router is on its way and should arrive within two "
        "working days.",
        "I've moved the appointment to {date}, {slot}. You'll get a text the day before.",
    ],
    call_notes=[
        "Customer reports drops in the evening. Line test showed errors; line profile reset, "
        "advised 48h to settle.",
        "Drops since {day}. Router firmware outdated, update pushed. Callback booked.",
        "Repeated disconnections; line test failed at the cabinet. Engineer booked for {date}.",
        "Router swap agreed, new {router} dispatched.",
    ],
    social=[
        "{handle} my broadband has dropped five times tonight. Paying for fibre and getting "
        "dial-up vibes.",
        "Is anyone else's {handle} internet cutting out in {district} or is it just me?",
        "{handle} router keeps disconnecting, third week running. Any chance of a fix?",
    ],
)

_topic(
    key="slow_speeds",
    label="Slow broadband",
    queue="Broadband faults",
    subjects=[
        "Slow broadband",
        "Not getting the speed I pay for",
        "Speeds well below my package",
        "Very slow internet in the evenings",
    ],
    opening=[
        "My broadband is really slow: I'm getting about {speed} Mb/s on {plan}.",
        "Speeds drop to almost nothing between 7 and 10pm.",
        "The speed test shows {speed} Mb/s but I'm paying for a lot more than that.",
        "Streaming keeps buffering and downloads take forever.",
    ],
    detail=[
        "I've tested with a cable straight into the router and it's no better.",
        "It was fine until about a month ago.",
        "The minimum guaranteed speed in my contract is a lot higher than this.",
    ],
    reply=[
        "Thanks, {first}. Our tests show your line syncing well below what it should, so I've "
        "raised a fault and we'll monitor it for 72 hours.",
        "I'm sorry about the speeds, {first}. The {district} cabinet is congested in the "
        "evenings; an upgrade is scheduled and I've applied a credit of £{amount} meanwhile.",
        "Under our speed guarantee you can leave without penalty if we can't fix this within "
        "30 days. I've started that clock today and booked an engineer for {date}.",
        "Could you run a speed test with a cable connected and send me the result?",
    ],
    follow_up=[
        "Ran the test again with a cable: {speed} Mb/s.",
        "Still slow in the evenings, daytime is fine.",
        "Much better today, thank you.",
    ],
    close=[
        "Thanks, {first}. The cabinet upgrade is complete and your line now syncs at full speed.",
        "I've added the credit and will call you on {date} to check the speeds.",
        "Glad to hear it. I'll close this case; just reply if it slows down again.",
    ],
    call_notes=[
        "Slow speeds reported ({speed} Mb/s on {plan}). Line sync low; fault raised, 72h "
        "monitoring.",
        "Evening congestion at the {district} cabinet. Explained upgrade plan, £{amount} "
        "goodwill credit.",
        "Speed guarantee explained; engineer booked for {date}.",
    ],
    social=[
        "Paying {handle} for {plan} and getting {speed} Mb/s. Brilliant.",
        "{handle} why is my internet so slow every evening? Can't even stream in SD.",
        "Speed test says {speed} Mb/s. {handle} that's not what the leaflet said.",
    ],
)

_topic(
    key="wifi_coverage",
    label="Wi-Fi coverage",
    queue="Broadband faults",
    subjects=["Wi-Fi doesn't reach upstairs", "Weak Wi-Fi signal", "Question about Wi-Fi boosters"],
    opening=[
        "The Wi-Fi doesn't reach the back bedroom at all.",
        "The signal is fine next to the router but drops off everywhere else in the house.",
        "Do you sell Wi-Fi boosters? The signal in the kitchen is terrible.",
    ],
    detail=[
        "It's an old stone terrace with thick walls.",
        "The router is in the hallway by the front door where the line comes in.",
    ],
    reply=[
        "Thanks, {first}. Thick walls do block Wi-Fi. Our Whole Home Wi-Fi discs would help; I "
        "can send two for £{amount} a month, and you can cancel within 30 days.",
        "Try moving the router off the floor and away from the TV, and switch on the 5 GHz band. "
        "If it's still weak we can add a booster.",
        "I've moved your router to a less crowded Wi-Fi channel. Please restart it and let me "
        "know how it goes.",
    ],
    follow_up=[
        "Moved the router onto a shelf: a bit better but still weak upstairs.",
        "Yes please, send the discs.",
    ],
    close=[
        "The Whole Home Wi-Fi discs are on their way, {first}. Setup takes about ten minutes "
        "with the app.",
        "Glad that helped. Just reply here if you'd like the booster after all.",
    ],
    call_notes=[
        "Wi-Fi coverage issue, thick walls. Whole Home Wi-Fi offered, customer considering.",
        "Changed Wi-Fi channel remotely; advised on router placement.",
        "Two Wi-Fi discs ordered at £{amount}/month.",
    ],
    social=[
        "{handle} any tips for getting Wi-Fi to reach the loft? The router's a brick.",
        "My {handle} Wi-Fi reaches the garden but not the bedroom. Physics is weird.",
    ],
)

_topic(
    key="landline_fault",
    label="Phone line fault",
    queue="Phone line faults",
    subjects=[
        "No dial tone",
        "Crackling on the phone line",
        "Can't make calls from the home phone",
    ],
    opening=[
        "There's been no dial tone on our home phone since {day}.",
        "The phone line crackles so badly we can't hear anyone.",
        "Incoming calls go straight to an engaged tone.",
        "My mother can't ring out on her landline, and she relies on it.",
    ],
    detail=[
        "She is 84 and the landline is her only phone, so this is urgent.",
        "The broadband seems fine, it's just the phone.",
    ],
    reply=[
        "Sorry, {first}. I've tested the line and found a fault at the exchange. As the line is "
        "used by a vulnerable customer I've prioritised the repair and diverted calls to the "
        "other number on the account.",
        "Thanks, {first}. Please try a different handset in the master socket. If the crackle "
        "is still there the fault is ours and I'll book an engineer.",
        "I've found a fault on the line and booked an engineer for {date}, {slot}.",
    ],
    follow_up=["Tried another phone, same crackle.", "The dial tone is back, thank you."],
    close=[
        "The line is repaired, {first}. You'll see compensation of £{amount} on your next bill "
        "for the days it was down.",
        "Great news. I've removed the call divert.",
    ],
    call_notes=[
        "No dial tone. Exchange fault found; priority repair, vulnerable customer flag added.",
        "Noise on the line confirmed by test. Engineer booked for {date}.",
        "Incoming calls failing; number routing corrected, test call OK.",
    ],
    social=[
        "{handle} my gran's landline has been dead for three days. She's 84. Please sort it.",
        "Home phone crackling like a bonfire {handle}",
    ],
)

_topic(
    key="outage",
    label="Network outage",
    queue="Network incidents",
    subjects=["Is there an outage in {district}?", "Internet down", "No service in {town}"],
    opening=[
        "Is there a problem in {district}? Our internet has just gone off completely.",
        "Everything is down, broadband and phone, since about {clock}.",
        "No internet at all here in {district}; all the lights on the router are red.",
        "Is there an outage? Nothing is working.",
    ],
    detail=["The neighbours say theirs is down too.", "I need to work tonight. Is there an ETA?"],
    reply=[
        "Sorry, {first}. There's an outage affecting {district} caused by {cause}. Engineers "
        "are on site and we expect service back by {eta}.",
        "Thanks for letting us know, {first}. We're aware of the fault in {district} and will "
        "text you when it's fixed.",
        "Yes, there's a network fault in your area. Please don't reset your router; it will "
        "reconnect by itself once we're done.",
    ],
    follow_up=["Any update? Still nothing here.", "It's back on, thanks."],
    close=[
        "Service in {district} is restored. Sorry for the disruption; affected customers get "
        "automatic compensation.",
        "All fixed now. Thanks for your patience, {first}.",
    ],
    call_notes=[
        "Customer affected by the {district} outage ({cause}). ETA given, linked to incident.",
        "Outage call. Advised not to reset the router; opted in to SMS updates.",
        "Asked about compensation for the outage; explained automatic compensation.",
    ],
    social=[
        "{handle} internet down in {district}. Again. Any ETA?",
        "Whole street offline in {district}. Cheers {handle}",
        "Is {handle} down in {town}? Nothing's loading.",
    ],
)

_topic(
    key="billing_dispute",
    label="Billing dispute",
    queue="Billing",
    subjects=[
        "Charged twice this month",
        "Bill higher than expected",
        "Query about my latest bill",
        "Incorrect charge on my bill",
    ],
    opening=[
        "I've been charged twice this month, £{amount} on the 1st and again on the 3rd.",
        "My bill is £{amount} this month; it's normally much less.",
        "There's a charge on my latest bill for calls I didn't make.",
        "Why has my bill gone up when I'm still in contract?",
    ],
    detail=[
        "Please refund the extra payment as soon as possible.",
        "I've attached a screenshot of my bank statement.",
        "I was told on the phone that the price was fixed for {months} months.",
    ],
    reply=[
        "Sorry, {first}. I can see the duplicate payment and have refunded £{amount}; it should "
        "reach your account in 3-5 working days.",
        "Thanks, {first}. The higher bill includes calls to premium-rate numbers. I've added an "
        "itemised list to your account.",
        "You're right, {first}: the discount dropped off early. I've reapplied it and credited "
        "£{amount}.",
        "I've looked into this and the charge is the annual price change in your contract terms. "
        "I've attached the details.",
    ],
    follow_up=[
        "Thanks, refund received.",
        "I still don't agree with this charge and would like to make a complaint.",
        "Can you confirm the monthly price from now on?",
    ],
    close=[
        "Your monthly price from now on is £{price}. Sorry again for the confusion.",
        "I've logged your complaint and a team leader will call you within two working days.",
        "Glad that's sorted, {first}.",
    ],
    call_notes=[
        "Duplicate Direct Debit taken; refund of £{amount} raised.",
        "Bill query: higher because of out-of-bundle calls. Itemised bill sent.",
        "Discount missing; reapplied and £{amount} credited.",
        "Customer disputes the price change; explained terms, customer unhappy, complaint logged.",
    ],
    social=[
        "{handle} charged me twice this month. I'd like my money back please.",
        "Bill from {handle} up again. In contract. How?",
    ],
)

_topic(
    key="payment_failed",
    label="Payment failed",
    queue="Billing",
    subjects=["Direct Debit failed", "Letter about missed payment", "Payment arrangement"],
    opening=[
        "I got a letter saying my Direct Debit failed, but there's money in the account.",
        "I changed banks last month; how do I update my Direct Debit?",
        "I can't pay the full bill this month. Can I set up a payment plan?",
    ],
    detail=[
        "Please don't cut off the broadband, I need it for work.",
        "I've been a customer for years and never missed a payment.",
    ],
    reply=[
        "Thanks, {first}. The bank returned the payment as the mandate was cancelled. I've set "
        "up the new Direct Debit and there's no late fee.",
        "Of course, {first}. I've split the £{amount} into three monthly payments. Nothing will "
        "be suspended while the plan is in place.",
        "You can update your bank details in My Account under Payments, or I can do it now on "
        "the phone.",
    ],
    follow_up=["Thanks, that's a relief.", "Done, I've updated it online."],
    close=["All set, {first}. Your next payment will be taken on {date}."],
    call_notes=[
        "DD returned (mandate cancelled). New mandate set up, late fee waived.",
        "Payment plan agreed: £{amount} over 3 months. Collections hold applied.",
        "Bank details updated; confirmed next collection date {date}.",
    ],
    social=["{handle} my payment failed and now I'm getting threatening letters. Help."],
)

_topic(
    key="price_rise",
    label="Price rise",
    queue="Sales & renewals",
    subjects=["Price increase", "Why is my price going up?", "Mid-contract price rise"],
    opening=[
        "I got an email saying my price is going up by £{amount} a month.",
        "Is the April price rise really happening in the middle of my contract?",
    ],
    detail=["That's the second rise this year.", "I'll look elsewhere if I have to."],
    reply=[
        "Thanks, {first}. The rise is set out in your contract terms, but as you're out of "
        "contract I can move you to {plan} at £{price} a month, fixed for 24 months.",
        "I understand, {first}. The price change is £{amount} a month from April. You can leave "
        "without penalty within 30 days of the notice if you'd prefer.",
    ],
    follow_up=["OK, I'll take the fixed price.", "I'll think about it."],
    close=["Done: {plan} at £{price}, fixed until {date} next year."],
    call_notes=[
        "Price rise query; offered fixed-price {plan}. Customer accepted.",
        "Price rise explained, penalty-free exit right explained.",
    ],
    social=["Another price rise from {handle}. Loyalty clearly counts for nothing."],
)

_topic(
    key="installation",
    label="Installation appointment",
    queue="Appointments",
    subjects=[
        "Installation appointment",
        "When is my installation?",
        "Changing my installation date",
    ],
    opening=[
        "I've just moved in and need to know when my installation is.",
        "Can I change my installation appointment to a Saturday?",
        "The installation is booked for {date} but I'll be at work. Can we rearrange?",
        "Nobody has confirmed my installation yet and I ordered over a week ago.",
    ],
    detail=["I'm working from home so I need the internet as soon as possible."],
    reply=[
        "Hi {first}, your installation is booked for {date}, {slot}. The engineer will call 30 "
        "minutes before arriving.",
        "No problem, {first}. I've moved it to {date}, {slot}.",
        "Sorry for the wait, {first}. We needed a permit for street works; your installation is "
        "now confirmed for {date}.",
    ],
    follow_up=[
        "Perfect, thanks.",
        "Does someone need to be home the whole time?",
        "That's still two weeks away; is there anything sooner?",
    ],
    close=[
        "Yes, someone over 18 needs to be home, and the engineer needs access to where the line "
        "comes in.",
        "I've added you to the cancellation list and will text you if an earlier slot opens.",
    ],
    call_notes=[
        "Installation date confirmed: {date}, {slot}.",
        "Installation moved to {date} at the customer's request.",
        "Chased installation; explained the street-works permit delay.",
    ],
    social=[
        "Three weeks waiting for {handle} to install fibre. Still no date.",
        "Installation booked with {handle}, fingers crossed!",
    ],
)

_topic(
    key="engineer_visit",
    label="Engineer visit",
    queue="Appointments",
    subjects=["Engineer didn't turn up", "Engineer appointment", "Missed appointment"],
    opening=[
        "I took the day off and the engineer never turned up.",
        "The engineer was due between {slot} and nobody came.",
        "Can you tell me when the engineer is coming? I've had no text.",
        "The engineer came but said he couldn't fix it and left.",
    ],
    detail=["Nobody called to say he was running late.", "That's the second missed appointment."],
    reply=[
        "I'm really sorry, {first}. The engineer was held up at an emergency repair. I've "
        "rebooked you as a priority for {date}, {slot}, and added £{amount} for the missed "
        "appointment.",
        "Sorry, {first}. The job needs a second engineer to work at the pole; they're booked for "
        "{date}.",
        "Your engineer is {engineer}, due {date}, {slot}.",
    ],
    follow_up=[
        "Thanks, but please make sure someone actually turns up this time.",
        "Fine, {date} works.",
    ],
    close=["The engineer has finished the job and tested the line. Sorry again for the trouble."],
    call_notes=[
        "Missed appointment; priority rebook {date}, £{amount} compensation applied.",
        "Engineer needs pole work; second visit booked {date}.",
        "Confirmed engineer appointment: {date}, {slot}.",
    ],
    social=[
        "Took the day off for {handle}. Engineer no-show. Nobody called.",
        "Shout out to the {handle} engineer who fixed our line in the rain today.",
    ],
)

_topic(
    key="moving_house",
    label="Moving house",
    queue="Moves",
    subjects=["Moving house", "Taking my broadband to a new address", "Home move on {date}"],
    opening=[
        "We're moving house on {date} and want to take our broadband with us.",
        "I'm moving to {new_town} next month. Can you provide service there?",
        "How much notice do you need for a home move?",
    ],
    detail=[
        "The new address is a new-build, so I'm not sure there's a line.",
        "We'd like the service live on the day we move in.",
    ],
    reply=[
        "Congratulations on the move, {first}! Full fibre is available at your new address; I've "
        "booked the switch-over for {date}.",
        "Thanks, {first}. We need about two weeks' notice. I've started the move; the engineer "
        "visit at the new address is {date}, {slot}.",
        "The new-build isn't connected yet, so we'll need to lay a new line. That takes around "
        "four weeks; I'll keep you posted.",
    ],
    follow_up=["Great, will the price stay the same?", "Can we keep our phone number?"],
    close=["Yes, your price and contract stay the same, and you keep your number."],
    call_notes=[
        "Home move booked for {date}, new address in {new_town}.",
        "Move enquiry; new-build requires a new line, 4 weeks lead time.",
    ],
    social=["Moving house with {handle} was painless, live on day one. Impressed."],
)

_topic(
    key="contract_renewal",
    label="Contract renewal",
    queue="Sales & renewals",
    subjects=["Contract ending", "Renewal offer", "What can you offer me to stay?"],
    opening=[
        "My contract ends next month. What deals can you offer?",
        "I've had a cheaper quote from another provider. Can you match it?",
        "Can I renew early and keep my current price?",
    ],
    detail=["I've been with you for six years.", "I'd rather stay if the price is right."],
    reply=[
        "Thanks for staying with us, {first}. I can offer {plan} at £{price} a month for 24 "
        "months.",
        "I can't match that exactly, {first}, but I can add a free router upgrade and fix your "
        "price at £{price} a month.",
    ],
    follow_up=["Sounds good, go ahead.", "I'll need to think about it."],
    close=["Done: renewed on {plan} at £{price} a month. The new terms are in My Account."],
    call_notes=[
        "Renewal: customer renewed on {plan} at £{price}/month, {months} months.",
        "Renewal discussion, competitor quote; offer made, customer thinking it over.",
    ],
    social=["Renewed with {handle}, decent price and no haggling needed. Rare."],
)

_topic(
    key="upgrade",
    label="Upgrade",
    queue="Sales & renewals",
    subjects=["Upgrade to faster broadband", "Is full fibre available?", "Upgrade enquiry"],
    opening=[
        "Can I upgrade to {plan}? We keep running out of bandwidth.",
        "Is full fibre available in {district} yet?",
        "How much would it cost to go up to 900 Mb/s?",
    ],
    detail=["There are five of us at home, all streaming."],
    reply=[
        "Good news, {first}: full fibre is live in {district}. {plan} is £{price} a month and I "
        "can book the upgrade for {date}.",
        "{plan} isn't available on your street yet, but it's planned within six months. I've "
        "registered your interest.",
    ],
    follow_up=["Yes please, book it in.", "OK, let me know when it's available."],
    close=["Upgrade booked for {date}. Your new price starts from that date."],
    call_notes=[
        "Upgrade to {plan} ordered, activation {date}.",
        "Full fibre not yet available; interest registered.",
    ],
    social=["Just upgraded to {plan} with {handle} and wow, what a difference."],
)

_topic(
    key="cancellation",
    label="Cancellation",
    queue="Retentions",
    subjects=["Cancel my service", "Notice to leave", "Leaving Northvale"],
    opening=[
        "I'd like to cancel my broadband; I'm moving to another provider.",
        "Please take this as notice that I want to end my contract.",
        "After all the problems this year I want to leave.",
    ],
    detail=[
        "My contract ended last month so there should be no fee.",
        "Please send a returns bag for the router.",
    ],
    reply=[
        "Sorry to see you go, {first}. Your service will end on {date} and there's no early exit "
        "fee. A returns bag for the router is on its way.",
        "I'm sorry about the problems, {first}. Before you go, can I offer {plan} at £{price} a "
        "month and a named contact for any fault?",
    ],
    follow_up=["No thanks, please go ahead.", "OK, I'll give you one more chance."],
    close=[
        "Your cancellation is confirmed for {date}.",
        "Thank you, {first}. Your named contact is {agent}.",
    ],
    call_notes=[
        "Cancellation requested; retention offer declined. Ceases {date}.",
        "Cancellation saved with retention offer ({plan} at £{price}).",
    ],
    social=["Done with {handle}. Leaving as soon as my contract ends."],
)

_topic(
    key="complaint",
    label="Formal complaint",
    queue="Complaints",
    subjects=[
        "Formal complaint",
        "Complaint about how my fault was handled",
        "I want to escalate this",
    ],
    opening=[
        "I want to make a formal complaint about how my fault has been handled.",
        "This is my fourth contact about the same problem and nobody has fixed it.",
        "I've been promised a call back three times and nobody has rung.",
    ],
    detail=[
        "Every time I call I have to explain everything again from the start.",
        "If this isn't resolved I'll take it to the ombudsman.",
    ],
    reply=[
        "I'm sorry, {first}. I've read the whole history so you don't need to repeat anything. "
        "I'm taking ownership of this myself and will call you on {date}.",
        "Thank you for raising this, {first}. Your complaint reference is {ref}. We aim to reply "
        "in full within 10 working days.",
    ],
    follow_up=["Thank you for actually listening.", "I still haven't heard anything."],
    close=[
        "Our final response is attached. We've credited £{amount} and fixed the fault. If "
        "you're not happy you can take this to the ombudsman after eight weeks."
    ],
    call_notes=[
        "Complaint logged ({ref}); repeated contacts about the same fault.",
        "Complaint: missed call-backs. Owner assigned, call booked for {date}.",
    ],
    social=["Four calls, three promised call-backs, zero fixes. Well done {handle}."],
)

_topic(
    key="praise",
    label="Praise",
    queue="General",
    subjects=["Thank you", "Great service", "Thanks to your engineer"],
    opening=[
        "Just wanted to say thank you to {agent} who sorted my problem today.",
        "The engineer was brilliant: on time, tidy and explained everything.",
        "Really impressed with how quickly you fixed the fault.",
    ],
    detail=["It's rare to get such good service these days."],
    reply=[
        "Thank you so much, {first}! I've passed your kind words on to the team.",
        "That's lovely to hear, {first}. I'll make sure they see this.",
    ],
    follow_up=[],
    close=[],
    call_notes=["Customer called to thank {agent} for resolving their fault."],
    social=[
        "Have to say {handle} have been great today. Problem fixed in one call.",
        "Big thanks to {agent} at {handle}, sorted in ten minutes.",
    ],
)

_topic(
    key="scam_call",
    label="Suspected scam",
    queue="Security",
    subjects=["Scam call pretending to be Northvale", "Was this call really from you?"],
    opening=[
        "Someone rang claiming to be from Northvale and asked for my bank details.",
        "I got a text saying my broadband will be cut off unless I pay today. Is it real?",
    ],
    detail=["They knew my name and address."],
    reply=[
        "Thanks for checking, {first}. That wasn't us: we never ask for bank details by phone or "
        "text. Please don't click any links; I've added a note to your account.",
    ],
    follow_up=["Thanks, I didn't give them anything."],
    close=["Good. If you're worried, you can change your My Account password any time."],
    call_notes=["Reported scam call impersonating Northvale. Advised; security note added."],
    social=["Warning: scam calls pretending to be {handle} going round {town}."],
)

_topic(
    key="account_admin",
    label="Account change",
    queue="General",
    subjects=["Change of email address", "Add my partner to the account", "Update my details"],
    opening=[
        "Can you add my partner as an authorised person on the account?",
        "I need to change the email address you have for me.",
        "Please send my bills by post instead of email.",
    ],
    detail=[],
    reply=[
        "Done, {first}. The change is on your account now.",
        "For security I've sent a confirmation code to the number we hold for you.",
    ],
    follow_up=["Thanks."],
    close=[],
    call_notes=["Account details updated at the customer's request (passed security)."],
    social=[],
)

_topic(
    key="business_service",
    label="Business service",
    queue="Business support",
    business_only=True,
    subjects=[
        "Static IP request",
        "Add a line for our new office",
        "Call quality on our SIP trunk",
        "Leased line latency",
        "Hosted voice: new starter",
    ],
    opening=[
        "We need a static IP address for our new CCTV system.",
        "We're opening a second office in {town}; can you add a line there?",
        "Customers say our calls break up on the SIP trunk, mostly in the afternoons.",
        "We're seeing high latency on the leased line since this morning.",
        "Can you add a new starter to our hosted voice system from Monday?",
    ],
    detail=["This is affecting our card payments.", "Our SLA says four-hour response."],
    reply=[
        "Thanks, {first}. I've assigned a /29 static block to {company}; it'll be live within "
        "the hour.",
        "I've raised a priority ticket under your SLA; a network engineer is looking at the "
        "circuit now.",
        "Jitter on the trunk was high from 2pm; we've moved your traffic to a new route. Please "
        "let us know if callers still hear breaks.",
        "The new seat is set up and the handset will arrive on {date}.",
    ],
    follow_up=["Much better now, thanks.", "Still seeing issues, please escalate."],
    close=["Closing this ticket; the circuit has been clean for 48 hours."],
    call_notes=[
        "Business: static IP block assigned.",
        "Business SLA fault on leased line; priority P2, NOC engaged.",
        "SIP trunk call quality; traffic rerouted, monitoring.",
    ],
    social=["{handle} our office line has been down two hours, we're a business. SLA please."],
)

# Weight of each topic when a customer gets in touch of their own accord.
INBOUND_TOPIC_WEIGHTS = {
    "router_drops": 14,
    "slow_speeds": 11,
    "wifi_coverage": 5,
    "landline_fault": 5,
    "outage": 4,
    "billing_dispute": 12,
    "payment_failed": 4,
    "price_rise": 4,
    "installation": 4,
    "engineer_visit": 6,
    "moving_house": 5,
    "contract_renewal": 6,
    "upgrade": 4,
    "cancellation": 3,
    "complaint": 4,
    "praise": 4,
    "scam_call": 2,
    "account_admin": 3,
}
BUSINESS_TOPIC_WEIGHTS = {**INBOUND_TOPIC_WEIGHTS, "business_service": 30}

# What an agent says on a call that the company makes.
CALLBACK_NOTES = (
    "Called back as promised re {label}. {note}",
    "Outbound follow-up on {label}: {note}",
    "Tried to call back re {label}; no answer, voicemail left.",
)

SHOP_NOTES = {
    "router_drops": "Swapped the faulty router for a new {router}.",
    "slow_speeds": "Ran a speed test with the customer on their phone; raised a fault.",
    "billing_dispute": "Went through the bill line by line; refund of £{amount} raised.",
    "payment_failed": "Took payment of £{amount} at the counter.",
    "moving_house": "Started a home move to {new_town}.",
    "contract_renewal": "Renewed on {plan} at £{price}/month.",
    "upgrade": "Ordered an upgrade to {plan}.",
    "cancellation": "Took the router back; cancellation processed.",
    "wifi_coverage": "Sold two Whole Home Wi-Fi discs.",
    "account_admin": "Updated contact details after ID check.",
}
SHOP_FALLBACK = "Customer asked about {label}; advised and gave a leaflet."

ENGINEER_REPORTS = {
    "installation": (
        "Installed the fibre terminal and {router}; tested at {speed} Mb/s. Showed the customer "
        "the Wi-Fi settings.",
        "Installation complete; new line run from the pole. Tested OK.",
    ),
    "default": (
        "Replaced a faulty master socket; line test passed.",
        "Found water in a joint at the pole; repaired, service restored.",
        "No access: nobody home. Card left, customer to rebook.",
        "Replaced the router's power supply; connection stable.",
        "Re-terminated the drop cable; noise on the line cleared.",
    ),
}

LETTERS_IN = (
    (
        "Letter: formal complaint",
        "Dear Sir or Madam, I am writing to complain about {label}. "
        "{opening} {detail} Yours faithfully, {name}",
    ),
    (
        "Letter: query about {label}",
        "Dear Northvale, {opening} Please reply in writing. Yours sincerely, {name}",
    ),
)
LETTER_REPLY = (
    "Letter: our reply",
    "Dear {name}, thank you for your letter about {label}. {reply} Yours sincerely, {agent}, "
    "Northvale Telecom Customer Care",
)
LETTER_NOTICES = (
    (
        "Letter: annual price change",
        "Dear {name}, from 1 April your monthly price for {plan} "
        "will change to £{price}. You can leave without penalty within 30 days of this letter.",
    ),
    (
        "Letter: Direct Debit returned unpaid",
        "Dear {name}, your bank returned your Direct Debit "
        "of £{amount}. We will try again on {date}; no late fee has been charged.",
    ),
)

FIRST_RECORDS = (
    (
        "other",
        "inbound",
        "Account details confirmed",
        "Annual data check: customer confirmed email, phone number and billing address. "
        "Plan: {plan}.",
    ),
    (
        "phone",
        "outbound",
        "Renewal call",
        "Called about the contract ending {date}. Customer renewed on {plan} at £{price}/month "
        "for {months} months.",
    ),
    (
        "phone",
        "outbound",
        "Courtesy call",
        "Checked in after the recent price change; customer happy to stay on {plan}.",
    ),
    (
        "other",
        "inbound",
        "Plan changed",
        "Moved to {plan} at the customer's request; new price £{price}/month.",
    ),
)

SURVEY_REPLIES = (
    ("10", "10 {agent} was brilliant"),
    ("9", "9"),
    ("9", "9 quick and friendly"),
    ("8", "8"),
    ("8", "8 fixed in the end"),
    ("7", "7"),
    ("6", "6 took too long"),
    ("5", "5"),
    ("3", "3 still not fixed"),
    ("2", "2 had to call four times"),
    ("0", "0"),
    ("10", "10"),
    ("9", "Nine"),
)

SMS_REMINDERS = (
    "Northvale: reminder, your engineer visit is tomorrow, {slot}. Reply 1 to confirm or 2 to "
    "rearrange.",
    "Northvale: {engineer} will visit tomorrow, {slot}. Someone over 18 needs to be home.",
)
SMS_REMINDER_REPLIES = ("1", "1 thanks", "2", "2 can we do next week?", "Confirmed, thanks")


# -- Survey answers -------------------------------------------------------------
# What Northvale's customers write under their scores. A comment is one or two
# of these, chosen to fit the score: detractors about the wait, the outages,
# the engineer who never came, the bill; promoters with praise.

NPS_QUESTION = "How likely are you to recommend Northvale Telecom to a friend or colleague?"
NPS_COMMENT_QUESTION = "What is the main reason for your score?"
CSAT_QUESTION = "How satisfied are you with how we handled your request?"
CSAT_COMMENT_QUESTION = "Is there anything we could have done better?"
CES_QUESTION = "How easy was it to get your new connection up and running?"
CES_COMMENT_QUESTION = "What made it easy, or hard?"

HOME_DETRACTOR = (
    "I waited over an hour on hold and there is still no answer.",
    "The broadband has dropped every evening for three weeks.",
    "The engineer never turned up and nobody rang to say why.",
    "Second month in a row the bill is wrong, and I am still waiting for the refund.",
    "Another outage this week and not a word from anyone.",
    "I have chased this four times: still no answer.",
    "The speeds are nowhere near what I pay for.",
    "The price went up again with no warning.",
    "Booked an engineer twice and both appointments were missed.",
    "I was told someone would call back. Nobody did.",
    "Three days without internet and the status page said everything was fine.",
    "I was charged an early exit fee I never agreed to.",
)
BUSINESS_DETRACTOR = (
    "Our office line was down for two days and we missed our customers' calls.",
    "Our account manager never calls back.",
    "The SLA says four hours; the fix took three days.",
    "Hosted voice keeps dropping calls in the middle of meetings.",
    "We were billed for seats we cancelled months ago.",
    "The engineer never turned up at the office and nobody told us.",
    "Every fault means an hour on hold before anyone understands a business line.",
    "The static IP changed without notice and took our VPN down.",
    "The service level is nowhere near what the contract promised.",
    "Still no answer on the outage we reported last week.",
    "Support treats our office like a household; we lose money every hour we are down.",
    "Nobody owns our account: every call starts from scratch.",
)
HOME_PASSIVE = (
    "Fine most of the time, but the price keeps creeping up.",
    "Works well enough; support can be slow.",
    "No real complaints, nothing special either.",
    "Speeds are fine in the day, slower in the evenings.",
    "Decent service, though the app is clumsy.",
    "Had one outage this year, sorted within a day.",
)
BUSINESS_PASSIVE = (
    "The connection is fine; support for the phones is slow.",
    "It does the job, though the account manager is hard to reach.",
    "Pricing is fair for the office; faults take too long to fix.",
    "Installation went to plan, the billing is confusing.",
)
HOME_PROMOTER = (
    "Fast and reliable, never had a problem.",
    "The engineer was brilliant, quick and tidy.",
    "Sorted my problem in one call, really helpful staff.",
    "Great speeds at a fair price.",
    "Moved house and the line was live the same day.",
    "Friendly people on the phone and quick to fix things.",
    "Rock solid connection, the whole family streams at once.",
    "Much better than my last provider.",
)
BUSINESS_PROMOTER = (
    "The office connection is rock solid.",
    "Our account manager set up the new lines quickly.",
    "Installation at the office was quick and professional.",
    "Good value for a small business, and the switch went smoothly.",
)
SUPPORT_UNHAPPY = (
    "It took three calls to get this sorted.",
    "The agent did not understand the problem.",
    "The ticket was closed without anything being fixed.",
    "Still no answer about the refund.",
    "I was passed between departments and had to explain it all again.",
    "Waited forty minutes on hold to be told to restart the router.",
)
SUPPORT_BUSINESS_UNHAPPY = (
    "Nobody on the line understood our hosted voice setup.",
    "Our office line fault was closed without a fix, outside the SLA.",
    "We were promised a call back from the account manager; it never came.",
)
SUPPORT_HAPPY = (
    "Quick and helpful, thank you.",
    "The agent knew exactly what to do.",
    "Fixed first time, very polite.",
    "Friendly and clear, sorted in minutes.",
)
ONBOARDING_HARD = (
    "I had to chase the installation date twice.",
    "The engineer never turned up for the first appointment.",
    "The router arrived a week after the line went live.",
    "Nobody explained the setup; it took hours on hold.",
)
ONBOARDING_BUSINESS_HARD = (
    "The office was without a phone line for a week during the switch.",
    "Our account manager never calls back about the porting of our numbers.",
)
ONBOARDING_EASY = (
    "Easy: the engineer was in and out in an hour.",
    "Plugged in the router and it just worked.",
    "Clear emails at every step, no surprises.",
)
FOLLOW_UP_OUTCOMES = (
    "Called back and apologised; engineer visit booked and the fault cleared.",
    "Refunded the overcharge and credited a month; customer satisfied.",
    "Explained the outage and applied a service credit.",
    "Rang twice and emailed; no reply from the customer, closed.",
    "Line tested remotely, router replaced by post; speeds back to normal.",
    "Escalated to the network team; cabinet repaired, customer confirmed it works.",
    "Price rise explained and moved to a cheaper plan.",
)
FOLLOW_UP_BUSINESS_OUTCOMES = (
    "Account manager called the office manager; review meeting booked.",
    "SLA credit applied and a named engineer assigned to the site.",
    "Cancelled seats removed from the invoice and the difference refunded.",
    "Hosted voice settings corrected; call drops stopped.",
    "Left messages with the office twice; no reply, closed.",
)

# Northvale's taxonomy of what its customers write about: the topics the
# console shows on interactions and survey comments.
SURVEY_TAXONOMY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("waiting", "Waiting and chasing", ("hold", "wait*", "still no answer", "chase*",
                                        "call back", "calls back", "nobody rang", "nobody did")),
    ("outages", "Outages and drops", ("outage*", "dropp*", "drops", "without internet",
                                      "down for", "took our vpn down")),
    ("engineers", "Engineer visits", ("engineer*", "appointment*", "installation*")),
    ("billing", "Billing errors", ("bill*", "refund*", "charged", "overcharg*", "invoice*",
                                   "exit fee")),
    ("price", "Price and value", ("price*", "pricing", "value", "cheaper")),
    ("contract_renewal", "Contract renewal", ("renewal*", "renew early", "contract ends",
                                              "contract ending", "offer me to stay",
                                              "match it")),
    ("speed", "Speeds", ("speed*", "slower")),
    ("account-manager", "Account manager", ("account manager", "owns our account")),
    ("service-level", "Service level (SLA)", ("sla", "service level", "contract promised")),
    ("business-phones", "Business lines and voice", ("office line", "hosted voice",
                                                     "static ip", "business line", "phone line")),
    ("helpful-staff", "Helpful staff", ("helpful", "friendly", "polite", "knew exactly")),
    ("reliability", "Reliability", ("reliable", "rock solid", "never had a problem",
                                    "just worked")),
)  # fmt: skip

# Service levels --------------------------------------------------------------

WORKING_DAY = 10 * 60  # minutes of a working day (Business care's 08:00 to 18:00)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _calendar(
    timezone: str,
    weekdays: tuple[str, str] | None,
    holidays: tuple[str, str] = ("GB", "ENG"),
    **days: tuple[str, str],
) -> dict[str, object]:
    """A calendar in the JSON form of ``cxm.cases.hours`` (one interval a day)."""
    weekly = {day: [list(weekdays)] for day in _WEEKDAYS} if weekdays else {}
    weekly.update({day: [list(hours)] for day, hours in days.items()})
    country, subdivision = holidays
    return {
        "timezone": timezone,
        "weekly": weekly,
        "holidays": country,
        "subdivision": subdivision,
    }


# Chat and social are staffed every day, bank holidays included.
EVERY_DAY_8_TO_10 = _calendar(
    "Europe/London", ("08:00", "22:00"), ("", ""), sat=("08:00", "22:00"), sun=("08:00", "22:00")
)

# Service-level clocks run on the hours of the team that owns the customer. The
# company's own calendar serves the customers no team owns yet, who mostly come
# through chat and social (an anonymous visitor, a handle): the hours of the
# digital desk. The evening desk, in New York, watches the channels after the UK
# teams go home; it owns no customers yet.
COMPANY_CALENDAR = EVERY_DAY_8_TO_10
TEAM_CALENDARS = {
    "Residential care": _calendar("Europe/London", ("08:00", "20:00"), sat=("09:00", "17:00")),
    "Business care": _calendar("Europe/London", ("08:00", "18:00")),
    "Evening desk (New York)": _calendar(
        "America/New_York", ("13:00", "21:00"), holidays=("US", "NY")
    ),
}

# Targets in business minutes per channel, for priorities 1 (urgent) to 4 (low):
# (first response, next response, resolution). Resolutions in working days.
SLA_TARGETS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "phone": ((5, 5, WORKING_DAY), (5, 10, 2 * WORKING_DAY), (10, 15, 3 * WORKING_DAY),
              (15, 30, 5 * WORKING_DAY)),
    "chat": ((3, 3, WORKING_DAY), (5, 5, 2 * WORKING_DAY), (10, 10, 3 * WORKING_DAY),
             (15, 15, 5 * WORKING_DAY)),
    "email": ((60, 120, WORKING_DAY), (120, 240, 2 * WORKING_DAY), (240, 480, 3 * WORKING_DAY),
              (480, 600, 5 * WORKING_DAY)),
    "social": ((30, 30, WORKING_DAY), (45, 60, 2 * WORKING_DAY), (60, 60, 3 * WORKING_DAY),
               (120, 120, 5 * WORKING_DAY)),
    "sms": ((30, 60, WORKING_DAY), (60, 60, 2 * WORKING_DAY), (120, 120, 3 * WORKING_DAY),
            (240, 240, 5 * WORKING_DAY)),
    "web": ((120, 240, 2 * WORKING_DAY), (240, 480, 3 * WORKING_DAY),
            (WORKING_DAY, WORKING_DAY, 5 * WORKING_DAY), (WORKING_DAY, 2 * WORKING_DAY,
                                                          8 * WORKING_DAY)),
    "in_person": ((5, 5, WORKING_DAY), (10, 10, 2 * WORKING_DAY), (15, 15, 3 * WORKING_DAY),
                  (20, 20, 5 * WORKING_DAY)),
    "other": ((WORKING_DAY, WORKING_DAY, 5 * WORKING_DAY),
              (2 * WORKING_DAY, 2 * WORKING_DAY, 8 * WORKING_DAY),
              (5 * WORKING_DAY, 5 * WORKING_DAY, 10 * WORKING_DAY),
              (5 * WORKING_DAY, 5 * WORKING_DAY, 15 * WORKING_DAY)),
}  # fmt: skip


@dataclass(frozen=True)
class ChannelPromise:
    """One line of Northvale's public channel charter."""

    channel: str
    name: str
    how_to_reach: str
    hours: dict[str, object]
    handles: str
    does_not_handle: str
    target_minutes: int  # first response, in business minutes: the P3 target


# Numbers from Ofcom's drama ranges (freephone 0808 157 0xxx, mobile 07700 900xxx).
CHARTER = (
    ChannelPromise(
        "phone",
        "Phone",
        "0808 157 0640, free from mobiles and landlines; business customers 0808 157 0641",
        _calendar("Europe/London", ("08:00", "20:00"), sat=("09:00", "17:00")),
        "Faults, outages, bills, moving home, anything urgent. If the queue is long, ask us "
        "to ring you back: you keep your place.",
        "Cancelling a contract by voicemail; we need to speak to the account holder.",
        SLA_TARGETS["phone"][2][0],
    ),
    ChannelPromise(
        "chat",
        "Live chat",
        "Chat on northvale.example/help or in the Northvale app",
        EVERY_DAY_8_TO_10,
        "Quick questions, router set-up, checking an order or an engineer appointment.",
        "Anything that needs a signature or a payment card read out.",
        SLA_TARGETS["chat"][2][0],
    ),
    ChannelPromise(
        "email",
        "Email",
        "help@northvale.example; business customers business@northvale.example",
        _calendar("Europe/London", ("08:00", "18:00")),
        "Bills and refunds, complaints in writing, documents and photos of a fault.",
        "Outages and anything urgent: call or chat instead.",
        SLA_TARGETS["email"][2][0],
    ),
    ChannelPromise(
        "social",
        "Social media",
        f"{SOCIAL_HANDLE} on X, Instagram and Facebook; send us a direct message for account "
        "matters",
        EVERY_DAY_8_TO_10,
        "Outage updates, quick questions, complaints you want us to see.",
        "Account details in public posts: we will ask you to message us privately.",
        SLA_TARGETS["social"][2][0],
    ),
    ChannelPromise(
        "sms",
        "Text",
        "Text 07700 900640 from the mobile on your account",
        _calendar("Europe/London", ("08:00", "20:00"), sat=("08:00", "20:00")),
        "Appointment changes, replies to our service texts, short questions.",
        "Faults that need testing on the line.",
        SLA_TARGETS["sms"][2][0],
    ),
    ChannelPromise(
        "web",
        "Contact form and My Account",
        "northvale.example/contact, or My Account for bills, plan changes and home moves",
        _calendar("Europe/London", ("08:00", "18:00")),
        "Questions that can wait a working day; My Account changes take effect at once.",
        "Outages and anything urgent: call or chat instead.",
        SLA_TARGETS["web"][2][0],
    ),
    ChannelPromise(
        "in_person",
        "Stores",
        "Northvale stores in " + ", ".join(town.name for town in TOWNS) + "; no appointment needed",
        _calendar(
            "Europe/London", ("09:00", "18:00"), sat=("09:00", "18:00"), sun=("10:00", "16:00")
        ),
        "New contracts, swapping a faulty router, paying a bill, moving home.",
        "Faults at your address: an engineer visit is booked by phone or chat.",
        SLA_TARGETS["in_person"][2][0],
    ),
    ChannelPromise(
        "other",
        "Post",
        "Freepost NORTHVALE CUSTOMER CARE (no stamp needed)",
        _calendar("Europe/London", ("09:00", "17:00")),
        "Formal complaints, documents that need a signature, power of attorney.",
        "Anything urgent: letters take days to reach us.",
        SLA_TARGETS["other"][2][0],
    ),
)
