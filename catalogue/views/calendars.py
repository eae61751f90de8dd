"""Course editions by date: the upcoming and past pages, and the upcoming ones as an iCalendar
feed that calendar applications subscribe to."""

import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.dateformat import format as format_date
from django.views.generic import ListView, View
from icalendar import Calendar, Event

from catalogue.models import Course, CourseFormat


class CourseEditionListView(ListView):
    """Course editions on one side of today, shown as rows of the course list."""

    template_name = "catalogue/course_editions.html"
    context_object_name = "courses"
    # The `CourseQuerySet` method that picks the editions and orders them. It is called per
    # request, since "today" moves.
    period = ""
    title = ""
    intro = ""
    empty_text = ""
    other_period_url_name = ""
    other_period_label = ""

    def get_queryset(self):
        return getattr(Course.objects.published().for_list(), self.period)()


class UpcomingCourseListView(CourseEditionListView):
    template_name = "catalogue/course_upcoming.html"
    period = "upcoming"
    title = "Upcoming courses"
    intro = (
        "Science-diplomacy courses, workshops, fellowships and schools that have not started yet, "
        "soonest first."
    )
    empty_text = "No upcoming edition is catalogued yet."
    other_period_url_name = "catalogue:course-past"
    other_period_label = "Past editions"


class PastCourseListView(CourseEditionListView):
    period = "past"
    title = "Past courses"
    intro = (
        "Editions of science-diplomacy courses that have ended, latest first. Editions whose "
        "dates no source gives are in the list of all courses."
    )
    empty_text = "No past edition is catalogued yet."
    other_period_url_name = "catalogue:course-upcoming"
    other_period_label = "Upcoming editions"


class UpcomingCourseCalendarView(View):
    """The upcoming editions as an iCalendar file (RFC 5545), one all-day event each."""

    calendar_name = "Sciplo: upcoming science-diplomacy courses"
    product_id = "-//Sciplo//Upcoming science-diplomacy courses//EN"

    def get(self, request: HttpRequest) -> HttpResponse:
        calendar = Calendar()
        calendar.add("prodid", self.product_id)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", self.calendar_name)
        for course in Course.objects.published().upcoming().select_related("city__country"):
            url = request.build_absolute_uri(course.get_absolute_url())
            calendar.add_component(course_event(course, url))
        return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")


def course_event(course: Course, url: str) -> Event:
    event = Event()
    # The slug is stable, so a calendar that subscribed updates the event instead of adding
    # another.
    event.add("uid", f"{course.slug}@sciplo")
    # Without a METHOD, DTSTAMP is when the event last changed in the catalogue (RFC 5545,
    # 3.8.7.2), which lets calendars skip unchanged events.
    event.add("dtstamp", course.updated_at.astimezone(datetime.UTC))
    event.add("dtstart", course.starts_on)
    # An all-day event ends the day after its last day.
    event.add("dtend", (course.ends_on or course.starts_on) + datetime.timedelta(days=1))
    event.add("summary", course.name)
    description = [course.summary] if course.summary else []
    if course.application_deadline:
        deadline = format_date(course.application_deadline, "j F Y")
        description.append(f"Application deadline: {deadline}")
    if description:
        event.add("description", "\n\n".join(description))
    location = course_location(course)
    if location:
        event.add("location", location)
    event.add("url", url)
    return event


def course_location(course: Course) -> str:
    if course.city is not None and course.city.is_published:
        return f"{course.city.name}, {course.city.country.name}"
    if course.format == CourseFormat.ONLINE:
        return "Online"
    return ""
