import { describe, expect, it } from 'vitest'
import {
  activeAgreements,
  activityBody,
  activityProblems,
  awaitsViewer,
  confirmation,
  peopleTakingPart,
  type ActivityDraft,
  type Agreement,
  type PartnerActivity,
} from '../../src/lib/console/partner'

const activity = (over: Partial<PartnerActivity> = {}): PartnerActivity => ({
  activity_id: 'pa-1',
  agreement_id: 'agr-1',
  school_id: 'sch-1',
  partner_id: 'ptn-1',
  kind: 'legal_education',
  title: '法制讲座',
  held_on: '2026-11-01',
  place: '礼堂',
  class_ids: [],
  students_count: 40,
  teachers_count: 2,
  residents_count: 0,
  participant_times: 42,
  logged_by: 'school',
  partner_confirmed: false,
  school_confirmed: true,
  version: 1,
  ...over,
})

describe('who confirms an activity', () => {
  it('awaits the partner for what the school logged', () => {
    const logged = activity()
    expect(confirmation(logged)).toBe('awaitingPartner')
    expect(awaitsViewer(logged, 'partner')).toBe(true)
    expect(awaitsViewer(logged, 'school_admin')).toBe(false)
    expect(awaitsViewer(logged, 'teacher')).toBe(false)
  })

  it('awaits the school admin, not a teacher, for what the partner logged', () => {
    const logged = activity({ logged_by: 'partner', partner_confirmed: true, school_confirmed: false })
    expect(confirmation(logged)).toBe('awaitingSchool')
    expect(awaitsViewer(logged, 'school_admin')).toBe(true)
    expect(awaitsViewer(logged, 'teacher')).toBe(false)
    expect(awaitsViewer(logged, 'partner')).toBe(false)
  })

  it('awaits nobody once both confirmed', () => {
    const both = activity({ partner_confirmed: true })
    expect(confirmation(both)).toBe('confirmed')
    expect(awaitsViewer(both, 'partner')).toBe(false)
    expect(awaitsViewer(both, 'school_admin')).toBe(false)
  })
})

describe('the people taking part', () => {
  it('names only the groups with somebody', () => {
    expect(peopleTakingPart({ students_count: 30, teachers_count: 0, residents_count: 10 })).toEqual([
      ['students', 30],
      ['residents', 10],
    ])
    expect(peopleTakingPart({ students_count: 0, teachers_count: 0, residents_count: 0 })).toEqual([])
  })
})

describe('the agreements an activity may be logged under', () => {
  const agreement = (id: string, status: Agreement['status'], title: string): Agreement => ({
    agreement_id: id,
    partner_id: 'ptn-1',
    school_id: 'sch-1',
    title,
    starts_on: '2026-09-01',
    ends_on: '2027-07-15',
    status,
    version: 1,
  })
  it('keeps the active ones only', () => {
    const found = activeAgreements([agreement('a', 'draft', '草案'), agreement('b', 'active', '警校共建'), agreement('c', 'ended', '旧协议')])
    expect(found.map((a) => a.agreement_id)).toEqual(['b'])
  })
})

describe('the activity form', () => {
  const draft = (over: Partial<ActivityDraft> = {}): ActivityDraft => ({
    agreement_id: 'agr-1',
    kind: 'volunteer_service',
    title: '社区志愿服务',
    held_on: '2026-11-20',
    place: ' 社区活动中心 ',
    students_count: 30,
    teachers_count: 2,
    residents_count: 10,
    participant_times: 42,
    ...over,
  })

  it('finds nothing wrong with a complete form, and sends it trimmed', () => {
    expect(activityProblems(draft(), '2026-11-20')).toEqual({})
    expect(activityBody(draft())).toMatchObject({ place: '社区活动中心', participant_times: 42, kind: 'volunteer_service' })
  })

  it('names each missing or wrong field as the server would', () => {
    const problems = activityProblems(
      draft({ agreement_id: '', kind: '', title: ' 讲', held_on: '2026-11-21', teachers_count: -1, participant_times: null }),
      '2026-11-20',
    )
    expect(problems).toEqual({
      agreement_id: 'agreement',
      kind: 'kind',
      title: 'title',
      held_on: 'heldOnFuture',
      teachers_count: 'count',
      participant_times: 'timesMissing',
    })
    expect(activityProblems(draft({ held_on: '' }), '2026-11-20')).toEqual({ held_on: 'heldOnMissing' })
  })

  it('refuses fewer participant-times than the people taking part', () => {
    expect(activityProblems(draft({ participant_times: 41 }), '2026-11-20')).toEqual({ participant_times: 'timesBelowPeople' })
    expect(activityProblems(draft({ participant_times: 84 }), '2026-11-20')).toEqual({})
  })
})
